import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Disclaimer } from "@/components/disclaimer";
import { currentActor } from "@/lib/auth/current-actor";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  if (await currentActor()) redirect("/patients");
  const { callbackUrl } = await searchParams;
  return (
    <main className="login">
      <div className="login-card">
        <h1>Radtrack</h1>
        <p className="muted">Chest X-ray tracking by similarity to labelled reference scans.</p>
        <LoginForm callbackUrl={callbackUrl} />
        <Disclaimer />
      </div>
    </main>
  );
}
