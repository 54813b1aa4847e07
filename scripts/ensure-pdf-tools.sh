#!/usr/bin/env bash
# Tests read the invoice PDFs the plugin renders with poppler's pdftotext and pdftoppm (Debian's
# poppler-utils): text to check numbers and totals, an image to look at. Install them when missing.
set -eu
if command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then exit 0; fi
echo "[pdf] installing Debian's poppler-utils"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq poppler-utils >/dev/null
command -v pdftotext
