#!/usr/bin/env bash
# Prepares, on this (development) machine, everything bench/gpu/device.sh needs on a GPU
# machine that has no Node and no npm, in git-ignored folders that the device tool carries:
#   .device/bench.mjs                     the benchmark, bundled by vite (shaders inlined)
#   .device/node.xz                       this machine's Node binary, xz -9
#   .device/dawn.node.xz                  the `webgpu` package's Dawn addon, xz -9
#   .device/webgpu/{index.js,package.json} the package's loader
#   .gl/*.deb                             the Vulkan / GL loader packages (device README)
# Usage, from the repository root: bash bench/gpu/prepare-device.sh
# Then (the lead): device run with carry [".device", ".gl"], command `bash bench/gpu/device.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .device/webgpu   # .device/ and .gl/ are in .gitignore

node --input-type=module -e "
import { build } from 'vite';
await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: 'bench/gpu/bench-main.ts',
    outDir: '.device',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: { output: { entryFileNames: 'bench.mjs', inlineDynamicImports: true } },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
"

WEBGPU=node_modules/webgpu
[ -f .device/node.xz ] || xz -9 -T2 -c "$(command -v node)" > .device/node.xz
[ -f .device/dawn.node.xz ] || xz -9 -T2 -c "$WEBGPU/dist/linux-x64/dawn.node" > .device/dawn.node.xz
cp "$WEBGPU/index.js" "$WEBGPU/package.json" .device/webgpu/

if ! ls .gl/*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -ch .device .gl | tail -n 1
