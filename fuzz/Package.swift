// swift-tools-version: 6.0
// libFuzzer harnesses for the parsers that read hostile bytes (docs/security.md, "Fuzzing"). A separate package so
// the main Package.swift stays free of sanitizer flags. The library targets are symlinks to ../Sources/<module>:
// the harnesses fuzz exactly the code that ships. Build and run: `make fuzz` (scripts/fuzz.sh), which does
//   swift build --package-path fuzz -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library
import PackageDescription

let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "kyr-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        // The shipped modules under test (symlinks into the main package).
        .target(name: "RuntimeBase"),
        .target(name: "StrictJSON"),
        .target(name: "HadoopConfig", dependencies: ["RuntimeBase"]),
        .target(name: "YarnContract", dependencies: ["RuntimeBase", "StrictJSON"]),
        // The wire half of Sources/TTRPC (frame header, envelopes, generated protobuf), without the socket client.
        .target(name: "TTRPCWire", dependencies: ["RuntimeBase", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // One executable per harness; each defines LLVMFuzzerTestOneInput (libFuzzer provides main).
        .executableTarget(name: "FuzzConfig", dependencies: ["HadoopConfig", "RuntimeBase"], swiftSettings: harness),
        .executableTarget(name: "FuzzArgv", dependencies: ["YarnContract", "RuntimeBase"], swiftSettings: harness),
        .executableTarget(name: "FuzzJSON", dependencies: ["StrictJSON"], swiftSettings: harness),
        .executableTarget(name: "FuzzLaunchContext", dependencies: ["YarnContract", "StrictJSON", "RuntimeBase"], swiftSettings: harness),
        .executableTarget(name: "FuzzTTRPC", dependencies: ["TTRPCWire", "RuntimeBase"], swiftSettings: harness),
    ]
)
