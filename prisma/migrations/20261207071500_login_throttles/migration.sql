-- Failed sign-in counters in the database, so that every web server of one deployment sees the same throttling
-- state and a restart does not forget it. One row per key: an (account, address) pair, an address, or an account.
CREATE TABLE "login_throttles" (
    "key" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    -- The account the key is about (pair and account keys), so that an admin can clear an account's locks.
    "email" TEXT,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "locked_until" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "login_throttles_pkey" PRIMARY KEY ("key"),
    CONSTRAINT "login_throttles_scope_check" CHECK ("scope" IN ('pair', 'address', 'account'))
);

CREATE INDEX "login_throttles_email_idx" ON "login_throttles"("email");
CREATE INDEX "login_throttles_updated_at_idx" ON "login_throttles"("updated_at");
