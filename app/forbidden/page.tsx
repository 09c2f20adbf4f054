import Link from "next/link";

export const metadata = { title: "Not allowed" };

export default function Forbidden() {
  return (
    <main className="login">
      <div className="login-card">
        <h1>Not allowed</h1>
        <p>This page is for administrators. Your account does not have that role.</p>
        <p>
          <Link href="/patients">Back to patients</Link>
        </p>
      </div>
    </main>
  );
}
