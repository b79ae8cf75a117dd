// Our gRPC unary client against a grpc-js server, the kind the policy pack runs: messages of any size
// both ways, a failing call's status and message, and a server that goes away.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectUnary, UnaryCallError, type UnaryConnection } from "../lib/grpcUnary";

const bytes = (b: Buffer) => b;
const method = (path: string) => ({ path, requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes });
const service = { echo: method("/test.Test/Echo"), fail: method("/test.Test/Fail") };

describe("gRPC unary calls over our own HTTP/2 connection", () => {
  let server: grpc.Server;
  let address: string;
  let connection: UnaryConnection;

  beforeAll(async () => {
    server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
    server.addService(service, {
      echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.concat([Buffer.from("echo:"), call.request])),
      fail: (_: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback({ code: grpc.status.INVALID_ARGUMENT, details: "bad input: ünïcode, 100% sure" }),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
    address = `127.0.0.1:${port}`;
    connection = connectUnary(address);
  });
  afterAll(() => {
    connection.close();
    server.forceShutdown();
  });

  it("given requests from empty to megabytes, many at once, when called, then each answer is the server's", async () => {
    const requests = [Buffer.alloc(0), Buffer.from("x"), Buffer.alloc(5 * 1024 * 1024, 7), ...Array.from({ length: 200 }, (_, i) => Buffer.from(`request ${i}`))];
    const answers = await Promise.all(requests.map((r) => connection.call("/test.Test/Echo", r)));
    answers.forEach((answer, i) => expect(answer.equals(Buffer.concat([Buffer.from("echo:"), requests[i]]))).toBe(true));
  });

  it("given a call the server fails, when called, then the error has the gRPC status and the server's message", async () => {
    await expect(connection.call("/test.Test/Fail", Buffer.from("x"))).rejects.toEqual(new UnaryCallError("bad input: ünïcode, 100% sure", grpc.status.INVALID_ARGUMENT));
    const error = await connection.call("/test.Test/Nope", Buffer.from("x")).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it("given a server that goes away during a call, when called, then the call fails rather than waiting forever", async () => {
    const dying = new grpc.Server();
    dying.addService(service, { echo: () => undefined, fail: () => undefined }); // never answers
    const port = await new Promise<number>((resolve, reject) => dying.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
    const doomed = connectUnary(`127.0.0.1:${port}`);
    try {
      const pending = doomed.call("/test.Test/Echo", Buffer.from("x"));
      setTimeout(() => dying.forceShutdown(), 100);
      await expect(pending).rejects.toBeInstanceOf(UnaryCallError);
      await expect(doomed.call("/test.Test/Echo", Buffer.from("x"))).rejects.toBeInstanceOf(UnaryCallError);
    } finally {
      doomed.close();
    }
  });

  it("given a server that is gone, when called, then the call fails with an error rather than hanging or crashing", async () => {
    const lonely = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) => lonely.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
    lonely.forceShutdown();
    const gone = connectUnary(`127.0.0.1:${port}`);
    try {
      await expect(gone.call("/test.Test/Echo", Buffer.from("x"))).rejects.toBeInstanceOf(UnaryCallError);
    } finally {
      gone.close();
    }
  });
});
