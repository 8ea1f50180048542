import LinuxSystem
import RuntimeBase
import StrictJSON

/// What another process needs to reach a running shim: `<stateDirectory>/<id>/shim.json`, root-only, written
/// atomically. A launcher that died (NodeManager restart, kill -9) leaves it behind, and the next one
/// reconnects with it for kill, state and delete.
struct ShimRecord: Sendable, Equatable {
    static let fileName = "shim.json"
    static let version: Int64 = 1

    var runtime: String
    var shimBinary: String
    var namespace: String
    var id: String
    var bundle: String
    /// `<stateDirectory>/<id>/<id>` → bundle: the `delete` action's working directory (see `ShimLayout.alias`).
    var bundleAlias: String
    /// As the shim printed it (`unix:///run/containerd/s/<hex>`).
    var address: String
    /// The `-address` we passed: never a real containerd, only hashed into the socket name.
    var containerdAddress: String
    var shimPid: Int32 = 0
    var taskPid: Int32 = 0

    /// The filesystem path (or `@abstract` name) behind `address`.
    var socketPath: String { String(address.dropFirst("unix://".count)) }

    func encoded() -> [UInt8] {
        let document: JSONValue = .object([
            "version": .int(Self.version), "runtime": .string(runtime), "shimBinary": .string(shimBinary),
            "namespace": .string(namespace), "id": .string(id), "bundle": .string(bundle),
            "bundleAlias": .string(bundleAlias), "address": .string(address),
            "containerdAddress": .string(containerdAddress),
            "shimPid": .int(Int64(shimPid)), "taskPid": .int(Int64(taskPid)),
        ])
        return Array(JSONWriter.encode(document).utf8)
    }

    init(runtime: String, shimBinary: String, namespace: String, id: String, bundle: String, bundleAlias: String,
         address: String, containerdAddress: String) {
        self.runtime = runtime; self.shimBinary = shimBinary; self.namespace = namespace; self.id = id
        self.bundle = bundle; self.bundleAlias = bundleAlias; self.address = address; self.containerdAddress = containerdAddress
    }

    init(decoding bytes: [UInt8], path: String) throws(RuntimeError) {
        let document: JSONValue
        do { document = try JSONParser(limits: .init(maxBytes: 64 << 10, maxDepth: 4)).parse(bytes) } catch {
            throw RuntimeError(.generalFailure, "shim state \(path) is not valid json: \(error)")
        }
        func text(_ key: String) throws(RuntimeError) -> String {
            guard let value = document[key]?.stringValue, !value.isEmpty else {
                throw RuntimeError(.generalFailure, "shim state \(path) lacks \(key)")
            }
            return value
        }
        guard document["version"]?.int64Value == Self.version else {
            throw RuntimeError(.generalFailure, "shim state \(path) has an unknown version")
        }
        self.init(runtime: try text("runtime"), shimBinary: try text("shimBinary"), namespace: try text("namespace"),
                  id: try text("id"), bundle: try text("bundle"), bundleAlias: try text("bundleAlias"),
                  address: try text("address"), containerdAddress: try text("containerdAddress"))
        shimPid = Int32(truncatingIfNeeded: document["shimPid"]?.int64Value ?? 0)
        taskPid = Int32(truncatingIfNeeded: document["taskPid"]?.int64Value ?? 0)
        guard address.hasPrefix("unix://"), socketPath.hasPrefix("/") || socketPath.hasPrefix("@") else {
            throw RuntimeError(.generalFailure, "shim state \(path) has an unusable address: \(Redact.short(address))")
        }
    }
}

/// Where one container's shim files live under the driver's state directory.
struct ShimLayout: Sendable {
    let directory: AbsolutePath

    init(stateDirectory: AbsolutePath, id: ContainerId) throws(RuntimeError) {
        directory = try stateDirectory.appending(id.value)
    }

    var record: AbsolutePath { get throws(RuntimeError) { try directory.appending(ShimRecord.fileName) } }
    /// Bootstrap stderr (the shim's one-line reason when `start` or `delete` fails).
    var bootstrapErrors: AbsolutePath { get throws(RuntimeError) { try directory.appending("bootstrap.stderr") } }
    /// Signals sent through the driver, for `ShimExitStatus` (Kata only).
    var signals: AbsolutePath { get throws(RuntimeError) { try directory.appending("signals") } }
    /// Only hashed into the socket name by the shim; nothing listens here.
    var containerdAddress: AbsolutePath { get throws(RuntimeError) { try directory.appending("containerd.sock") } }

    /// A symlink named after the container id that points at the bundle. The shim's `delete` action looks for
    /// `<dirname(cwd)>/<id>`, and our bundles are `…/<id>/bundle`; with cwd = this alias (and PWD naming it, which
    /// Go's os.Getwd prefers) the lookup lands on the bundle without imposing a name on the bundle directory.
    /// Only that action uses it: runc rejects a rootfs reached through a symlink.
    func alias(for id: ContainerId) throws(RuntimeError) -> AbsolutePath { try directory.appending(id.value) }
}
