// next-auth's default logger prints a stack trace for every refused sign-in. A wrong password is an expected outcome
// (audited as auth.login_failed by lib/auth/login.ts), so it is not printed at all; anything else is one line, with
// its stack only when it is not one of Auth.js's own errors.
import { CredentialsSignin } from "next-auth";

interface Sink {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}

function isAuthJsError(error: Error): error is Error & { type: string } {
  return typeof (error as { type?: unknown }).type === "string";
}

export function authLogger(sink: Sink = console) {
  return {
    error(error: Error) {
      if (error instanceof CredentialsSignin) return;
      const name = isAuthJsError(error) ? error.type : error.name;
      sink.error(`[auth] ${name}: ${error.message}`);
      const cause = (error as { cause?: { err?: unknown } }).cause?.err;
      if (!isAuthJsError(error) && error.stack) sink.error(error.stack);
      else if (cause instanceof Error) sink.error(`[auth] cause: ${cause.message}`);
    },
    warn(code: string) {
      sink.warn(`[auth] warning: ${code}`);
    },
  };
}
