// The one place that knows where a scan's thumbnail is served, so pages, the API and neighbour lists agree.
export function thumbnailUrl(scanId: string): string {
  return `/api/v1/scans/${encodeURIComponent(scanId)}/thumbnail`;
}
