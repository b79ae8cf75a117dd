// gRPC unary calls whose request is already protobuf bytes, over one HTTP/2 connection of our own: the
// framing of the gRPC-over-HTTP/2 protocol and no more. Per call, grpc-js's client spent about as much
// CPU as the policy pack spends answering (and made the pack spend more); at 50,000 Analyze calls that
// was seconds on each side.
import * as http2 from "node:http2";

/** A call that failed: the gRPC status and message, or what broke the stream or connection. */
export class UnaryCallError extends Error {
  override name = "UnaryCallError";
  constructor(
    message: string,
    /** The gRPC status code; undefined when the call never got one (connection lost, stream reset). */
    readonly code?: number,
  ) {
    super(message);
  }
}

export interface UnaryConnection {
  /** The response message's bytes. */
  call(path: string, request: Uint8Array): Promise<Buffer>;
  close(): void;
}

/** Connects to a gRPC server listening in plain text at `address` (host:port). */
export function connectUnary(address: string): UnaryConnection {
  const session = http2.connect(`http://${address}`);
  let broken: Error | undefined;
  // A connection error fails the calls on it (each stream errors too); it must not crash the process.
  session.on("error", (error) => {
    broken = error;
  });
  return {
    call: (path, request) => {
      if (broken) return Promise.reject(new UnaryCallError(`${path}: connection failed: ${broken.message}`));
      if (session.closed || session.destroyed) return Promise.reject(new UnaryCallError(`${path}: the connection is closed`));
      return unary(session, path, request);
    },
    close: () => session.close(),
  };
}

function unary(session: http2.ClientHttp2Session, path: string, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    } catch (error) {
      return reject(new UnaryCallError(`${path}: ${(error as Error).message}`));
    }
    // The message is written as it is, after its 5-byte prefix: no copy of a request of megabytes.
    stream.write(prefix(request.length));
    stream.end(request);
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message = "";
    const read = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) message = decodeMessage(String(headers["grpc-message"]));
    };
    // A server that fails at once answers "trailers only": the status comes with the response headers.
    stream.on("response", read);
    stream.on("trailers", read);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", (error) => reject(new UnaryCallError(`${path}: ${error.message}`)));
    // Closed with neither an end nor an error (the connection dropped): fail, rather than wait forever.
    stream.on("close", () => reject(new UnaryCallError(`${path}: the call was closed before it was answered`)));
    stream.on("end", () => {
      if (status === undefined) return reject(new UnaryCallError(`${path}: the server ended the call without a gRPC status`));
      if (status !== "0") return reject(new UnaryCallError(message || `${path}: gRPC status ${status}`, Number(status)));
      const body = Buffer.concat(chunks);
      // One length-prefixed message: a flag byte (0: not compressed) and its length, big-endian.
      if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
        return reject(new UnaryCallError(`${path}: the response is not one uncompressed gRPC message`));
      }
      resolve(body.subarray(5));
    });
  });
}

/** The gRPC prefix of one uncompressed message: a flag byte 0 and the length, big-endian. */
function prefix(length: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes.writeUInt32BE(length, 1);
  return bytes;
}

/** grpc-message is percent-encoded UTF-8. */
function decodeMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
