/*
 * Median and MAD: the location and spread the outlier detectors measure against. Unlike the mean and the
 * standard deviation, neither moves much when a few percent of the values are extreme, which is exactly
 * the situation of a poisoned dataset (Rousseeuw and Croux, JASA 1993; Leys et al., "Detecting
 * outliers: do not use standard deviation around the mean, use absolute deviation around the median", 2013).
 */

/** MAD times this estimates the standard deviation of normally distributed values. */
export const MAD_TO_SIGMA = 1.4826;

/** Linear-interpolated quantile of an ascending array. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

/** Median and scaled MAD (MAD x 1.4826) of `values` (not modified). */
export function medianAndScale(values: ArrayLike<number>): { median: number; scale: number } {
  const sorted = Float64Array.from(values).sort();
  const median = quantileOfSorted(sorted, 0.5);
  const deviations = sorted.map((v) => Math.abs(v - median)).sort();
  return { median, scale: MAD_TO_SIGMA * quantileOfSorted(deviations, 0.5) };
}
