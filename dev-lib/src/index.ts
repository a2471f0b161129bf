/**
 * @trellis/dev — the experimentation side of Trellis.
 */
export const DEV_VERSION = "0.1.0";
