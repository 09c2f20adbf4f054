import type { DefaultSession } from "next-auth";
import type { Role } from "@/lib/auth/actor";

declare module "next-auth" {
  interface User {
    role: Role;
    sessionVersion: number;
  }
  interface Session {
    user: { id: string; role: Role } & DefaultSession["user"];
    sessionVersion: number;
  }
}

declare module "@auth/core/jwt" {
  interface JWT {
    uid?: string;
    role?: Role;
    sv?: number;
    loginAt?: number;
    lastSeenAt?: number;
  }
}
