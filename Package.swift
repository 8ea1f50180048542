// swift-tools-version: 6.0
// Layering (a target imports only targets listed before it in its layer or lower; see docs/architecture.md):
//   0  RuntimeBase, StrictJSON, OCISpec, CLinuxShim (C)
// kyr-init (Sources/KyrInit/kyr-init.c, the in-container pid 1) is built by the Makefile with `cc -static`:
// SwiftPM links C executables through swiftc, which cannot make a static, Swift-free binary.
//   1  HadoopConfig, YarnContract, BundleBuilder, NetworkPlanner   pure: no Glibc, no syscalls
//   2  LinuxSystem (the only module that makes syscalls), TTRPC, RuntimeDrivers
//   3  RuntimeCore (use cases)   4  RuntimeCommands (argv dispatch, error → exit code)   5  kata-yarn-runtime
import PackageDescription

let hardenedC: [CSetting] = [
    .define("_GNU_SOURCE"),
    .unsafeFlags(["-Wall", "-Wextra", "-Werror", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"]),
]

let package = Package(
    name: "kata-yarn-runtime",
    products: [
        .executable(name: "kata-yarn-runtime", targets: ["kata-yarn-runtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        // Layer 0
        .target(name: "RuntimeBase"),
        .target(name: "StrictJSON"),
        .target(name: "OCISpec", dependencies: ["StrictJSON"]),
        .target(
            name: "CLinuxShim",
            cSettings: hardenedC,
            linkerSettings: [.linkedLibrary(":libseccomp.a"), .linkedLibrary(":libcap.a")]),
        // Layer 1 (pure)
        .target(name: "HadoopConfig", dependencies: ["RuntimeBase"]),
        .target(name: "YarnContract", dependencies: ["RuntimeBase", "StrictJSON"]),
        .target(name: "BundleBuilder", dependencies: ["RuntimeBase", "StrictJSON", "OCISpec", "HadoopConfig", "YarnContract"]),
        .target(name: "NetworkPlanner", dependencies: ["RuntimeBase", "StrictJSON", "HadoopConfig", "YarnContract"]),
        // Layer 2
        .target(name: "LinuxSystem", dependencies: ["RuntimeBase", "CLinuxShim"]),
        .target(
            name: "TTRPC",
            dependencies: ["RuntimeBase", "LinuxSystem", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(
            name: "RuntimeDrivers",
            dependencies: ["RuntimeBase", "StrictJSON", "OCISpec", "HadoopConfig", "LinuxSystem", "TTRPC",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Layer 3-5
        .target(
            name: "RuntimeCore",
            dependencies: ["RuntimeBase", "StrictJSON", "OCISpec", "HadoopConfig", "YarnContract", "BundleBuilder", "NetworkPlanner", "LinuxSystem", "RuntimeDrivers"]),
        .target(name: "RuntimeCommands", dependencies: ["RuntimeCore"]),
        .executableTarget(name: "kata-yarn-runtime", dependencies: ["RuntimeCommands", "CLinuxShim"]),
        // Tests: SystemFake is the recording `System` (and runtime driver) the use-case tests run against.
        .target(name: "SystemFake", dependencies: ["LinuxSystem", "RuntimeBase", "RuntimeDrivers"], path: "Tests/SystemFake"),
        .testTarget(name: "UseCaseTests", dependencies: ["RuntimeCore", "SystemFake", "HadoopConfig", "NetworkPlanner", "YarnContract", "RuntimeDrivers", "LinuxSystem", "RuntimeBase"]),
        .testTarget(name: "PureTests", dependencies: ["RuntimeBase", "StrictJSON", "OCISpec", "HadoopConfig", "YarnContract", "BundleBuilder", "NetworkPlanner"]),
        .testTarget(name: "SystemTests", dependencies: ["BundleBuilder", "LinuxSystem", "RuntimeDrivers", "RuntimeCore", "TTRPC"]),
        .testTarget(name: "TTRPCTests", dependencies: ["TTRPC", "LinuxSystem", "RuntimeBase"]),
    ]
)
