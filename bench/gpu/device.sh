#!/usr/bin/env bash
# Runs the WebGPU benchmark on an NVIDIA H100/H200 machine (no Node, no npm there) from the
# files bench/gpu/prepare-device.sh put in .device/ and .gl/ (both carried by the device tool).
# Also runs here (CPU adapters) for a dry run: DEVICE_DRY=1 bash bench/gpu/device.sh
# Writes the table to stdout and $OUT/bench.json (when OUT is set).
set -euo pipefail
cd "$(dirname "$0")/../.."
unxz_to() { # file.xz dest
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
if [ -z "${DEVICE_DRY:-}" ]; then
  if ! ldconfig -p | grep -q libvulkan.so.1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fi
export EGL_PLATFORM=${EGL_PLATFORM:-surfaceless} XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
D=${DEVICE_DIR:-/tmp/emgpu-device}
mkdir -p "$D/node_modules/webgpu/dist/linux-x64"
[ -x "$D/node" ] || { unxz_to .device/node.xz "$D/node"; chmod +x "$D/node"; }
[ -f "$D/node_modules/webgpu/dist/linux-x64/dawn.node" ] || unxz_to .device/dawn.node.xz "$D/node_modules/webgpu/dist/linux-x64/dawn.node"
cp .device/webgpu/index.js .device/webgpu/package.json "$D/node_modules/webgpu/"
cp .device/bench.mjs "$D/bench.mjs"
SIZES=${SIZES:-100000,1000000,4000000,10000000}
JSON=()
[ -n "${OUT:-}" ] && JSON=(--json "$OUT/bench.json")
cd "$D"
./node bench.mjs --sizes "$SIZES" --dims 2,8 --ks 4,16 --cpu-max "${CPU_MAX:-1000000}" "${JSON[@]}" "$@"
