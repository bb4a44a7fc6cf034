/**
 * The app's Prometheus metrics (prom-client): requests, registrations received/refused/applied/
 * rejected, and whether registration is open (read when scraped).
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The app's metrics. */
export interface AppMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"method" | "route" | "status">;
  readonly requestSeconds: Histogram<"method" | "route">;
  readonly received: Counter;
  readonly refused: Counter<"reason">;
  readonly applied: Counter;
  readonly rejected: Counter;
  readonly windowOpen: Gauge;
}

/**
 * A fresh registry with the app's metrics. `windowOpen` is set by the app when scraped.
 *
 * @returns the metrics
 */
export function createMetrics(): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "mailreg_http_requests_total",
      help: "HTTP requests answered, by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    requestSeconds: new Histogram({
      name: "mailreg_http_request_duration_seconds",
      help: "Time to answer an HTTP request",
      labelNames: ["method", "route"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    received: new Counter({
      name: "mailreg_registrations_received_total",
      help: "Registrations sealed and stored as pending",
      registers,
    }),
    refused: new Counter({
      name: "mailreg_registrations_refused_total",
      help: "Registration submissions refused, by reason (error code)",
      labelNames: ["reason"] as const,
      registers,
    }),
    applied: new Counter({
      name: "mailreg_registrations_applied_total",
      help: "Registrations applied to an instance",
      registers,
    }),
    rejected: new Counter({
      name: "mailreg_registrations_rejected_total",
      help: "Registrations rejected",
      registers,
    }),
    windowOpen: new Gauge({
      name: "mailreg_registration_window_open",
      help: "1 while registration is open, else 0",
      registers,
    }),
  };
}
