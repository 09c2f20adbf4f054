// The optional DICOM C-STORE receiver (off unless RADTRACK_DIMSE_PORT is set): modalities and routers that speak
// classic DICOM networking send chest films to Radtrack's AE title, and each instance goes through the same receive
// path as a polled or pushed one (lib/dicomweb/receive.ts: frontal-chest filters, patient matching, the ingest
// pipeline) with origin "dimse". The association layer is dcmjs-dimse's; the instance's bytes are kept exactly as
// received, behind a Part 10 header that names the sender's AE title (0002,0016), so the AE-title filter applies.
import type { Socket } from "node:net";
import { Writable } from "node:stream";
import dcmjs from "dcmjs";
import dimseModule from "dcmjs-dimse";
import type * as Dimse from "dcmjs-dimse";

// The package is a CommonJS bundle whose named exports Node cannot see: its default export is the module object.
const dimse = dimseModule as unknown as typeof Dimse;
const { DicomMetaDictionary, DicomDict } = dcmjs.data;

/** What the receiver answers for one instance (a C-STORE status, PS3.4 B.2.3). */
export type StoreStatus = "stored" | "refused" | "too-large" | "failed";

export interface DimsePeer {
  callingAeTitle: string;
  address: string;
}

export type InstanceHandler = (bytes: Buffer, peer: DimsePeer) => Promise<StoreStatus>;

export interface DimseReceiverOptions {
  port: number;
  aeTitle: string;
  /** An instance larger than this is refused without being kept in memory (the upload limit). */
  maxBytes: number;
  handle: InstanceHandler;
}

/** Radiograph storage classes (CR, DX for presentation and processing) and Secondary Capture (digitised films). */
export const ACCEPTED_SOP_CLASSES: readonly string[] = [
  "1.2.840.10008.5.1.4.1.1.1",
  "1.2.840.10008.5.1.4.1.1.1.1",
  "1.2.840.10008.5.1.4.1.1.1.1.1",
  "1.2.840.10008.5.1.4.1.1.7",
];
const VERIFICATION = "1.2.840.10008.1.1";

/** The transfer syntaxes the ingest pipeline decodes (lib/image/dicom/transfer-syntax.ts), in order of preference. */
export const ACCEPTED_TRANSFER_SYNTAXES: readonly string[] = [
  "1.2.840.10008.1.2.1",
  "1.2.840.10008.1.2",
  "1.2.840.10008.1.2.4.50",
  "1.2.840.10008.1.2.4.51",
  "1.2.840.10008.1.2.4.57",
  "1.2.840.10008.1.2.4.70",
  "1.2.840.10008.1.2.4.80",
  "1.2.840.10008.1.2.4.81",
  "1.2.840.10008.1.2.4.90",
  "1.2.840.10008.1.2.4.91",
  "1.2.840.10008.1.2.4.201",
  "1.2.840.10008.1.2.4.202",
  "1.2.840.10008.1.2.4.203",
  "1.2.840.10008.1.2.5",
];

// PS3.4 Table B.2-1: 0xC000 "Cannot understand" (the film is not one Radtrack takes: a lateral, a knee), 0xA700
// "Refused: out of resources" (larger than the upload limit), 0x0110 "Processing failure" (Radtrack could not store
// it now; the sender may try again).
const STATUS: Record<StoreStatus, number> = { stored: 0x0000, refused: 0xc000, "too-large": 0xa700, failed: 0x0110 };

/** Prefixes the data set as received with a Part 10 preamble and meta header. */
export function part10(
  dataset: Buffer,
  ids: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; sourceAeTitle: string },
): Buffer {
  const meta = new DicomDict(
    DicomMetaDictionary.denaturalizeDataset({
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: ids.sopClassUid,
      MediaStorageSOPInstanceUID: ids.sopInstanceUid,
      TransferSyntaxUID: ids.transferSyntaxUid,
      ImplementationClassUID: "2.25.52758267435155474177519138801472653353",
      ImplementationVersionName: "RADTRACK",
      SourceApplicationEntityTitle: ids.sourceAeTitle,
    }),
  );
  meta.dict = {};
  return Buffer.concat([Buffer.from(meta.write()), dataset]);
}

/** Collects a C-STORE data set's bytes as they arrive, up to a limit; past it, only counts them. */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.oversized) this.chunks.length = 0;
    else this.chunks.push(chunk);
    done();
  }
  get oversized(): boolean {
    return this.size > this.maxBytes;
  }
  bytes(): Buffer | null {
    return this.oversized ? null : Buffer.concat(this.chunks);
  }
}

interface ScpOptions {
  customOptions?: Record<string, unknown>;
}

function scpFor({ aeTitle, handle, maxBytes }: DimseReceiverOptions): typeof Dimse.Scp {
  const { Scp, Dataset } = dimse;
  const { CEchoResponse, CStoreResponse } = dimse.responses;
  const { PresentationContextResult, RejectResult, RejectSource, RejectReason } = dimse.constants;

  return class RadtrackScp extends Scp {
    private readonly address: string;
    private callingAeTitle = "";
    private readonly received = new WeakMap<Dimse.requests.CStoreRequest, { bytes: Buffer | null; syntax: string }>();
    private readonly collectors = new WeakMap<Writable, Dimse.requests.CStoreRequest>();

    constructor(socket: Socket, opts?: ScpOptions) {
      super(socket, opts);
      this.address = socket.remoteAddress ?? "unknown";
    }

    override associationRequested(association: Dimse.association.Association): void {
      if (association.getCalledAeTitle().trim() !== aeTitle) {
        this.sendAssociationReject(
          RejectResult.Permanent,
          RejectSource.ServiceUser,
          RejectReason.CalledAeNotRecognized,
        );
        return;
      }
      this.callingAeTitle = association.getCallingAeTitle().trim();
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const abstract = context.getAbstractSyntaxUid();
        if (abstract !== VERIFICATION && !ACCEPTED_SOP_CLASSES.includes(abstract)) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const proposed = context.getTransferSyntaxUids();
        const syntax = ACCEPTED_TRANSFER_SYNTAXES.find((ts) => proposed.includes(ts));
        if (syntax) context.setResult(PresentationContextResult.Accept, syntax);
        else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
    }

    override cEchoRequest(request: Dimse.requests.CEchoRequest, callback: (r: Dimse.responses.CEchoResponse) => void) {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(dimse.constants.Status.Success);
      callback(response);
    }

    override createStoreWritableStream(
      _context: Dimse.association.PresentationContext,
      request: Dimse.requests.CStoreRequest,
    ): Writable {
      const collector = new Collector(maxBytes);
      this.collectors.set(collector, request);
      return collector;
    }

    override createDatasetFromStoreWritableStream(
      writable: Writable,
      context: Dimse.association.PresentationContext,
      callback: (dataset: Dimse.Dataset) => void,
    ): void {
      const request = this.collectors.get(writable);
      const syntax = context.getAcceptedTransferSyntaxUid() ?? "1.2.840.10008.1.2";
      if (request && writable instanceof Collector) this.received.set(request, { bytes: writable.bytes(), syntax });
      // The bytes go to the pipeline as received; the library's own parse of them is not needed.
      callback(new Dataset({}, syntax));
    }

    override cStoreRequest(
      request: Dimse.requests.CStoreRequest,
      callback: (response: Dimse.responses.CStoreResponse) => void,
    ): void {
      const answer = (status: StoreStatus) => {
        const response = CStoreResponse.fromRequest(request);
        response.setStatus(STATUS[status]);
        callback(response);
      };
      const received = this.received.get(request);
      if (!received) return answer("failed");
      if (!received.bytes) return answer("too-large");
      const bytes = part10(received.bytes, {
        sopClassUid: request.getAffectedSopClassUid(),
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        transferSyntaxUid: received.syntax,
        sourceAeTitle: this.callingAeTitle,
      });
      handle(bytes, { callingAeTitle: this.callingAeTitle, address: this.address }).then(answer, (error: unknown) => {
        console.error(`[radtrack] C-STORE from ${this.callingAeTitle} failed: ${(error as Error).message}`);
        answer("failed");
      });
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }
  };
}

export interface DimseReceiver {
  close(): void;
}

/** Resolves once the port is open; rejects when it cannot be (in use, no permission). */
export function startDimseReceiver(options: DimseReceiverOptions): Promise<DimseReceiver> {
  // The library logs every association at "info"; Radtrack's own log says what matters.
  dimse.log.setLevel("warn");
  const server = new dimse.Server(scpFor(options));
  return new Promise((resolve, reject) => {
    let listening = false;
    server.on("listening", () => {
      listening = true;
      resolve({ close: () => server.close() });
    });
    server.on("networkError", (error: Error) => {
      if (!listening) reject(new Error(`the DICOM receiver cannot listen on port ${options.port}: ${error.message}`));
      else console.warn(`[radtrack] DICOM receiver: ${error.message}`);
    });
    server.listen(options.port);
  });
}
