import BundleBuilder
import HadoopConfig
import LinuxSystem
import NetworkPlanner
import RuntimeBase
import RuntimeDrivers
import YarnContract

/// Picks the runtime for a container (request → per-user policy → default) and builds its driver.
public enum RuntimeSelection {
    /// `optedIn`: the container asked for a sandbox (Hadoop's runc runtime, our plugin) without naming one; it never
    /// gets `none`. Everything else gets the per-user runtime or the default, which may be `none` (no sandbox).
    public static func choose(requested: String?, user: String, config: KataSection, optedIn: Bool = false) throws(RuntimeError) -> String {
        if let requested, !requested.isEmpty, requested != "default" {
            guard KataSection.isRuntimeName(requested) else {
                throw RuntimeError(.invalidArgumentNumber, "unknown runtime requested: \(Redact.short(requested))")
            }
            guard requested == config.defaultRuntime || config.allowedRuntimes.contains(requested) else {
                throw RuntimeError(.invalidArgumentNumber, "runtime \(requested) is not allowed by [kata] runtime.allowed")
            }
            return requested
        }
        let configured = config.userRuntimes[user] ?? config.defaultRuntime
        return optedIn && configured == "none" ? config.sandboxForOptIn : configured
    }

    /// Whether the runtime's containers use the Linux network stack of the namespace they are given: runc and crun
    /// (directly or through their shim) do; Kata's VM and gVisor's netstack keep their own (runsc's host stack is
    /// decided per container, `ContainerNetwork.runscStack`).
    public static func usesNamespaceStack(_ name: String) -> Bool {
        name == "runc" || (name.hasPrefix("shim:") && (name.contains("runc") || name.contains("crun")))
    }

    /// `network`: the container's resolved mode (runsc's `--network` follows it); nil: the configured one.
    /// `runscStack`: for routed containers, `sandbox` or `host` as `ContainerNetwork` decided.
    public static func driver(named name: String, context: RuntimeContext, network: NetworkMode? = nil,
                              runscStack: String? = nil) throws(RuntimeError) -> any RuntimeDriver {
        if let make = context.driverOverride { return try make(name) }
        let kata = context.kata
        // runsc's --network matters for `run` only; the other verbs (kill, state, delete) accept any value.
        let runscNetwork = runscStack ?? (network ?? kata.networking.mode ?? .host).runscFlag
        let runtimes = try context.stateRoot.appending("runtimes")
        switch name {
        case "none":
            return HostProcessDriver(stateRoot: try runtimes.appending("none"), initPath: BundlePlanner.initPath, system: context.system)
        case "runc":
            return OCICLIDriver(flavor: .runc, binary: try AbsolutePath(kata.runcBinary, code: .invalidConfigFile),
                                stateRoot: try runtimes.appending("runc"), network: (network ?? .host).rawValue, system: context.system)
        case "runsc":
            return OCICLIDriver(flavor: .runsc, binary: try AbsolutePath(kata.runscBinary, code: .invalidConfigFile),
                                stateRoot: try runtimes.appending("runsc"), network: runscNetwork, system: context.system)
        default:
            return try shimDriver(named: name, context: context, stateRoot: runtimes)
        }
    }
}
