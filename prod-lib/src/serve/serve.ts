/**
 * `serve`: starts the model service on a `node:http` server, with graceful shutdown.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { InvalidArgumentError } from "@trellis/shared";
import { modelHandler, type ModelHandler, type ModelHandlerOptions } from "./handler";

/** Options of {@link serve}: the handler's, plus where to listen and how to stop. */
export interface ServeOptions extends ModelHandlerOptions {
  /** TCP port (default 8080; 0 picks a free one). */
  port?: number;
  /** Interface to listen on (default "127.0.0.1"; "0.0.0.0" in a container). */
  host?: string;
  /** Longest wait for in-flight requests on close, in milliseconds (default 10000); then their sockets are closed. */
  shutdownTimeout?: number;
  /** Close gracefully on SIGTERM and SIGINT (default false). The process is not exited: `onShutdown` (or the caller) does that. */
  handleSignals?: boolean;
  /** Called after a signal-triggered close has finished, with the signal's name. */
  onShutdown?: (signal: string) => void;
}

/** A running service (see {@link serve}). */
export interface RunningService {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** The `node:http` server. */
  readonly server: Server;
  /** The request handler (its metrics and models). */
  readonly handler: ModelHandler;
  /** Settled: every model is loaded (serve resolves only after it). */
  readonly ready: Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to `shutdownTimeout`), closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/**
 * Loads the models and starts the service; resolves once it listens and every model is loaded
 * (a model that fails to load rejects, and nothing is left listening).
 * @example
 * const svc = await serve({ models: { churn: "churn@production" }, warehouse: process.env.TRELLIS_WAREHOUSE, port: 8080 });
 * console.log(`listening on ${svc.url}`);
 */
export async function serve(options: ServeOptions): Promise<RunningService> {
  const port = options.port ?? 8080;
  const host = options.host ?? "127.0.0.1";
  const shutdownTimeout = options.shutdownTimeout ?? 10_000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`serve: port must be a whole number from 0 to 65535, got ${String(port)}.`);
  if (!Number.isFinite(shutdownTimeout) || shutdownTimeout < 0) throw new InvalidArgumentError(`serve: shutdownTimeout must be a non-negative number of milliseconds, got ${String(shutdownTimeout)}.`);
  const handler = modelHandler(options);
  const server = createServer({ keepAliveTimeout: 5_000 }, handler);
  const sockets = new Map<Socket, { busy: number }>();
  let closing = false;
  server.on("connection", (socket: Socket) => {
    const s = { busy: 0 };
    sockets.set(socket, s);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("request", (req, res) => {
    const s = sockets.get(req.socket);
    if (!s) return;
    s.busy++;
    if (closing) res.setHeader("connection", "close");
    res.once("close", () => {
      s.busy--;
      if (closing && s.busy === 0) req.socket.end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    await handler.ready;
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await handler.close().catch(() => undefined);
    throw e;
  }
  const actual = (server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    closed = (async () => {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, s] of sockets) if (s.busy === 0) socket.end();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
          resolve();
        }, shutdownTimeout);
      });
      await Promise.race([done, timeout]);
      clearTimeout(timer);
      await done;
      await handler.close();
    })();
    return closed;
  };
  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      void close().then(() => options.onShutdown?.(signal));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }
  const hostForUrl = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return { url: `http://${hostForUrl}:${actual}`, port: actual, server, handler, ready: handler.ready, close };
}
