import { generate } from "selfsigned";

/**
 * A certificate for 127.0.0.1, made at start. Clients trust it by being given it as their CA (never
 * by turning TLS checks off); it lives only as long as the emulator.
 */
export async function generateCertificate(): Promise<{ key: string; cert: string }> {
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: "aml-isolation-auditor ARM emulator" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 7 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
