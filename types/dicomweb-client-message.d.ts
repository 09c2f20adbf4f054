// dicomweb-client's multipart/related codec (src/message.js, plain ES module). The package's main entry is its
// XMLHttpRequest client, which Node does not have; the codec works on bytes alone. Types from the package's
// types/message.d.ts.
declare module "dicomweb-client/src/message.js" {
  export function multipartDecode(response: ArrayBuffer | Uint8Array): Uint8Array[];
  export function multipartEncode(
    datasets: ArrayBuffer[],
    boundary?: string,
    contentType?: string,
  ): { data: ArrayBuffer; boundary: string };
}
