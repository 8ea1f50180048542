import LinuxSystem
import RuntimeBase

/// Where a shim keeps the runtime state that its `delete` action cleans up, for the shims whose layout is known.
/// When that state does not exist there is nothing left for the action to remove, so its failure (both shims fail
/// on a missing state: "no such file or directory") means "already gone", not "try again".
///
/// - `kata`: the persisted sandbox, `/run/vc/sbs/<sandbox id>/persist.json` (Kata 3.32
///   `src/runtime/virtcontainers/persist/fs/fs.go`: storage root `/run` + `vc`, suffix `sbs`, file `persist.json`),
///   which `CleanupContainer` → `fetchSandbox` → `loadSandboxConfig` opens first (`virtcontainers/api.go`,
///   `sandbox.go`). Each YARN container is its own sandbox, so the sandbox id is the container id.
/// - `containerd-shim-runc-v2`: runc's state directory `/run/containerd/runc/<namespace>/<id>` (containerd 1.6
///   `process.RuncRoot`); its action first reads `<bundle>/runtime`, which Create writes before `runc create`.
/// - any other shim: unknown; only a live shim's NotFound proves the task gone.
enum ShimRuntimeState {
    static let kataSandboxRoot = "/run/vc/sbs"
    static let runcRoot = "/run/containerd/runc"

    /// The directory whose absence proves there is nothing to clean up, or nil when this shim's layout is unknown.
    static func directory(runtime: String, shimBinary: String, namespace: String, id: String) -> String? {
        if runtime == "kata" { return "\(kataSandboxRoot)/\(id)" }
        if shimBinary.split(separator: "/").last == "containerd-shim-runc-v2" { return "\(runcRoot)/\(namespace)/\(id)" }
        return nil
    }

    /// After the shim's `delete` action failed: may teardown go on as if it had succeeded?
    /// - the state's location is known and it does not exist: yes (nothing was ever created, or it is gone);
    /// - the location is known and it exists: no, something may still run;
    /// - unknown location: only when a live shim answered NotFound for the task.
    static func actionFailureMeansGone(stateDirectoryExists: Bool?, liveShimSaidNotFound: Bool) -> Bool {
        switch stateDirectoryExists {
        case .some(let exists): return !exists
        case .none: return liveShimSaidNotFound
        }
    }
}
