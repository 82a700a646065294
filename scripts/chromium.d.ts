import type { Browser } from "playwright-core";

export const CHROMIUM: string;
export const FLAGS: readonly string[];
export function launchChromium(): Promise<Browser>;
