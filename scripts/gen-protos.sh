#!/bin/sh
# Regenerates the committed Swift sources from protos/. Needs protoc and swift-protobuf's protoc-gen-swift at the
# version pinned in Package.swift (1.39.0); the plugin is built from the resolved package checkout unless
# PROTOC_GEN_SWIFT names one. Run from anywhere; `make protos` calls it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

plugin=${PROTOC_GEN_SWIFT:-}
if [ -z "$plugin" ]; then
    # The checkout SwiftPM resolved for this package (any scratch path), else a fresh clone of the pinned tag.
    checkout=
    for candidate in "$root"/.build/checkouts/swift-protobuf "$root"/.build-*/checkouts/swift-protobuf; do
        if [ -d "$candidate" ] && [ "$(git -C "$candidate" describe --tags 2>/dev/null)" = 1.39.0 ]; then
            checkout=$candidate; break
        fi
    done
    if [ -z "$checkout" ]; then
        checkout=$root/.build-protoc/src/swift-protobuf
        [ -d "$checkout" ] || git clone --quiet --depth 1 --branch 1.39.0 https://github.com/apple/swift-protobuf "$checkout"
    fi
    # Built inside the checkout: our own package may not load while it is half written, the plugin does not care.
    (cd "$checkout" && swift build --scratch-path "$root/.build-protoc/gen" -c release --product protoc-gen-swift >&2)
    plugin=$root/.build-protoc/gen/release/protoc-gen-swift
fi
[ -x "$plugin" ] || { echo "gen-protos: no protoc-gen-swift at $plugin" >&2; exit 1; }
command -v protoc >/dev/null || { echo "gen-protos: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }

generate() { # <proto dir> <out dir> <visibility> <files…>
    dir=$1 out=$2 visibility=$3; shift 3
    mkdir -p "$out"
    protoc --plugin=protoc-gen-swift="$plugin" -I "$dir" \
        --swift_out="$out" --swift_opt=Visibility="$visibility" --swift_opt=FileNaming=DropPath "$@"
}

# The envelope stays inside TTRPC; the Task messages are used only by the shim v2 driver.
(cd protos/ttrpc && generate . "$root/Sources/TTRPC/Generated" Internal envelope.proto)
(cd protos/shimv2 && generate . "$root/Sources/RuntimeDrivers/ShimV2/Generated" Internal task.proto)
echo "gen-protos: regenerated Sources/TTRPC/Generated and Sources/RuntimeDrivers/ShimV2/Generated" >&2
