import Link from "next/link";
import { Disclaimer } from "@/components/disclaimer";
import { SignOutButton } from "@/components/sign-out-button";
import { ThemeToggle } from "@/components/theme-toggle";
import { currentTheme } from "@/lib/http/theme";
import { requirePageActor } from "@/lib/auth/current-actor";

export const dynamic = "force-dynamic";

export default async function SignedInLayout({ children }: { children: React.ReactNode }) {
  const actor = await requirePageActor();
  return (
    <>
      <header className="topbar">
        <Link href="/patients" className="brand">
          Radtrack
        </Link>
        <nav aria-label="Main">
          <Link href="/patients">Patients</Link>
          {actor.role === "admin" && (
            <>
              <Link href="/admin/users">Users</Link>
              <Link href="/admin/teams">Care teams</Link>
              <Link href="/admin/bulk">Bulk upload</Link>
              <Link href="/admin/reference">Reference library</Link>
              <Link href="/admin/tokens">API tokens</Link>
              <Link href="/admin/integration">PACS</Link>
              <Link href="/admin/status">Status</Link>
              <Link href="/admin/audit">Audit log</Link>
            </>
          )}
        </nav>
        <div className="who">
          <span>
            {actor.name} <span className="badge">{actor.role}</span>
          </span>
          <ThemeToggle initial={await currentTheme()} />
          <SignOutButton />
        </div>
      </header>
      <main className="page">{children}</main>
      <footer className="footer">
        <Disclaimer />
      </footer>
    </>
  );
}
