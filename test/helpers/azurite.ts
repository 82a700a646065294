/**
 * A real Azurite for storage tests: started on free ports (or given ones, to restart after an outage),
 * stopped at the end. Nothing is mocked between the SDKs and it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

const AZURITE = join(__dirname, "../../node_modules/azurite/dist/src/azurite.js");
const ACCOUNT = "devstoreaccount1";
// Azurite's well-known development key (public, documented with Azurite).
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  /** SIGSTOP: the ports still accept connections, and nothing answers (a storage account that hangs). */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  stop(): Promise<void>;
}

export async function startAzurite(
  options: {
    ports?: Azurite["ports"];
    location?: string;
    debugLog?: string;
    /** HTTPS with this certificate and key (PEM files), and bearer tokens accepted (`--oauth basic`). */
    oauth?: { cert: string; key: string };
  } = {},
): Promise<Azurite> {
  const ports = options.ports ?? { blob: 0, queue: 0, table: 0 };
  const args = [
    AZURITE,
    ...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]),
    "--disableTelemetry",
    ...(options.debugLog ? ["--debug", options.debugLog] : []),
    ...(options.oauth ? ["--oauth", "basic", "--cert", options.oauth.cert, "--key", options.oauth.key] : []),
    "--blobHost",
    "127.0.0.1",
    "--queueHost",
    "127.0.0.1",
    "--tableHost",
    "127.0.0.1",
    "--blobPort",
    String(ports.blob),
    "--queuePort",
    String(ports.queue),
    "--tablePort",
    String(ports.table),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const found: Partial<Azurite["ports"]> = {};
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`Azurite did not start:\n${output}`)), 30_000);
    child.on("exit", (code) => reject(new Error(`Azurite exited (${code}):\n${output}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/127\.0\.0\.1:(\d+)/g,
      )) {
        found[(m[1] as string).toLowerCase() as keyof Azurite["ports"]] = Number(m[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  });
  const actual = found as Azurite["ports"];
  const scheme = options.oauth ? "https" : "http";
  return {
    ports: actual,
    connectionString:
      `DefaultEndpointsProtocol=${scheme};AccountName=${ACCOUNT};AccountKey=${KEY};` +
      `BlobEndpoint=${scheme}://127.0.0.1:${actual.blob}/${ACCOUNT};` +
      `QueueEndpoint=${scheme}://127.0.0.1:${actual.queue}/${ACCOUNT};` +
      `TableEndpoint=${scheme}://127.0.0.1:${actual.table}/${ACCOUNT};`,
    freeze: () => child.kill("SIGSTOP"),
    thaw: () => child.kill("SIGCONT"),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.removeAllListeners("exit");
        child.once("exit", () => resolve());
        child.kill("SIGCONT"); // a frozen Azurite takes no SIGTERM
        child.kill("SIGTERM");
      }),
  };
}

/** One Azurite for the enclosing `describe`: started before its tests, stopped after. */
export function useAzurite(): () => Azurite {
  let azurite: Azurite | undefined;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(() => azurite?.stop());
  return () => {
    if (!azurite) throw new Error("Azurite is not running: call the getter inside a test");
    return azurite;
  };
}
