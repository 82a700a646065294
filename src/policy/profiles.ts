import type { Posture, Profile } from "./types.js";

/** Which postures each profile enforces (DESIGN §3); rules without a posture are on in every profile. */
export const PROFILE_POSTURES: Record<Profile, readonly Posture[]> = {
  strict: ["private-inbound", "private-workspace", "secure-outbound"],
  "private-inbound": ["private-inbound", "private-workspace"],
  "secure-outbound": ["secure-outbound"],
  baseline: [],
};

export function profileEnables(profile: Profile, posture: Posture | undefined): boolean {
  return posture === undefined || PROFILE_POSTURES[profile].includes(posture);
}
