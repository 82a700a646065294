/** Checks on a storage connection string that need no SDK (the CLI's flags and the app's settings use it). */

/**
 * What is wrong with a storage connection string that the SDKs would take and fail on later, or undefined.
 * Never repeats the key: it is a secret.
 */
export function connectionStringProblem(connectionString: string): string | undefined {
  const key = /(?:^|;)\s*AccountKey=([^;]*)/i.exec(connectionString)?.[1]?.trim();
  if (key !== undefined && (key === "" || key.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)))
    return "has an AccountKey that is not base64 (a storage account key is 88 base64 characters)";
  return undefined;
}
