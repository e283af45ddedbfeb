#!/usr/bin/env bash
# Opens a report in real headless Chromium (Debian's `chromium`), checks that every chart image
# decoded (the report marks <body data-charts-loaded="K/N"> on load; the gallery's images likewise
# data-gallery-loaded, printed), and takes a screenshot.
#   tools/report_screenshot.sh target/demo-results/report/report.html [shot.png] [width] [height]
# Exit 0 when N > 0 and K = N; prints the marker and where the screenshot is.
set -euo pipefail
html=$(readlink -f "$1")
shot=${2:-${html%.html}.png}
width=${3:-1280}
height=${4:-4000}
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "chromium not found (apt-get install --no-install-recommends chromium)" >&2
  exit 2
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000
  --user-data-dir="$(mktemp -d)")
dom=$(timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$html" 2>/dev/null)
marker=$(grep -o 'data-charts-loaded="[0-9]*/[0-9]*"' <<<"$dom" | head -1 || true)
gallery=$(grep -o 'data-gallery-loaded="[0-9]*/[0-9]*"' <<<"$dom" | head -1 | grep -o '[0-9]*/[0-9]*' || true)
timeout 120 "$browser" "${flags[@]}" --window-size="$width,$height" --screenshot="$shot" \
  "file://$html" >/dev/null 2>&1
echo "charts: ${marker:-no marker} gallery: ${gallery:-none} screenshot: $shot"
[[ $marker =~ \"([0-9]+)/([0-9]+)\" ]] || exit 1
(( BASH_REMATCH[2] > 0 && BASH_REMATCH[1] == BASH_REMATCH[2] )) && [[ -s $shot ]]
