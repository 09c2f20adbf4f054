#!/usr/bin/env bash
# Installs what the test suites need on a clean Debian bookworm machine: PostgreSQL 15 with pgvector built from
# Debian's trixie source package (bookworm ships none), Chromium for Playwright, DCMTK for independent DICOM fixtures
# and dicom3tools to validate the DICOM objects Radtrack writes,
# Orthanc with its DICOMweb plugin as the PACS of the integration tests,
# curl for .ci/run's smoke check.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PG_MAJOR=15
need=()
command -v chromium >/dev/null || need+=(chromium)
[ -x /usr/lib/postgresql/$PG_MAJOR/bin/initdb ] || need+=(postgresql-$PG_MAJOR)
[ -x /usr/lib/postgresql/$PG_MAJOR/bin/pg_config ] || [ -x /usr/bin/pg_config ] && [ -d /usr/include/postgresql/$PG_MAJOR/server ] || need+=(postgresql-server-dev-$PG_MAJOR)
command -v img2dcm >/dev/null || need+=(dcmtk)
# dciodvfy checks the DICOM SR that Radtrack sends to the PACS against its IOD (tests/support/sr-check.ts).
command -v dciodvfy >/dev/null || need+=(dicom3tools)
# A throw-away PACS for the hospital-integration tests (tests/support/orthanc.ts).
[ -x /usr/sbin/Orthanc ] || need+=(orthanc)
[ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || need+=(orthanc-dicomweb)
command -v make >/dev/null || need+=(build-essential)
command -v curl >/dev/null || need+=(curl ca-certificates)
if [ ! -f /etc/apt/sources.list.d/trixie-src.list ]; then
  echo 'deb-src http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/trixie-src.list
  apt_updated=0
fi
if [ ${#need[@]} -gt 0 ] || [ "${apt_updated:-1}" = 0 ] || [ ! -f /usr/share/postgresql/$PG_MAJOR/extension/vector.control ]; then
  apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "apt: installing ${need[*]}"
  # The tests start their own Orthanc; the package's system service must not start (policy-rc.d 101: "not now").
  no_services=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && no_services=1
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ "$no_services" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
if [ ! -f /usr/share/postgresql/$PG_MAJOR/extension/vector.control ]; then
  echo "pgvector: building from Debian's trixie source package"
  work=$(mktemp -d)
  (cd "$work" && apt-get source --download-only -qq pgvector >/dev/null 2>&1 && tar xf pgvector_*.orig.tar.* \
    && cd pgvector-*/ && make -s PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config >/dev/null \
    && make -s install PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config >/dev/null)
  rm -rf "$work"
fi
echo "system deps ready: $(chromium --version 2>/dev/null | head -1); postgres $(/usr/lib/postgresql/$PG_MAJOR/bin/postgres --version | awk '{print $3}'); pgvector $(grep default_version /usr/share/postgresql/$PG_MAJOR/extension/vector.control | cut -d"'" -f2); $(img2dcm --version 2>/dev/null | head -1); $(Orthanc --version 2>/dev/null | head -1)"
