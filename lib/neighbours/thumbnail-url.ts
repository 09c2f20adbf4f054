// The one place that knows where a scan's images are served, so pages, the API and neighbour lists agree.
export function thumbnailUrl(scanId: string): string {
  return `/api/v1/scans/${encodeURIComponent(scanId)}/thumbnail`;
}

export function previewUrl(scanId: string): string {
  return `/api/v1/scans/${encodeURIComponent(scanId)}/preview`;
}
