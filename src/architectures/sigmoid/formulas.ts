/**
 * ρ̂ is clamped to [KL_CLAMP, 1 − KL_CLAMP] inside the KL term and its gradient, so that a unit
 * whose float32 sigmoid saturates to exactly 0 or 1 gives a large but finite penalty. Every
 * backend applies it (the float64 reference in src/reference/ keeps its own copy on purpose: it is
 * the independent oracle the backends are checked against).
 */
export const KL_CLAMP = 1e-6;
