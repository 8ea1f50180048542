import LinuxSystem
import RuntimeBase
import YarnContract

/// `--mount-cgroups <hierarchy> <controller=path>...` (gated by feature.mount-cgroup.enabled, off by default):
/// mounts each cgroup v1 controller at its path, then creates `<path>/<hierarchy>` for the NodeManager.
/// Validation is Hadoop's: an empty or over-long path or a `..` exits 3; EBUSY (already mounted) is fine.
public struct MountCgroups {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(hierarchy: String, pairs: [String]) throws(RuntimeError) -> Int32 {
        guard context.config.features.mountCgroups else { throw RuntimeError(.featureDisabled, "Feature disabled: mount-cgroup") }
        guard !hierarchy.isEmpty, !hierarchy.split(separator: "/").contains("..") else {
            throw RuntimeError(.invalidCommandProvided, "invalid cgroup hierarchy: \(Redact.short(hierarchy))")
        }
        let system = context.system
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "," || $0 == "_" }),
                  let path = try? AbsolutePath(parts[1], code: .invalidCommandProvided), parts[1].utf8.count < 4096 else {
                throw RuntimeError(.invalidCommandProvided, "invalid controller=path pair: \(Redact.short(pair))")
            }
            do { try system.mountFilesystem(source: "none", at: path.value, type: "cgroup", options: parts[0], code: .generalFailure) } catch {
                if error.errno != 16 { throw error }   // EBUSY: already mounted
            }
            var target = path
            for component in hierarchy.split(separator: "/") { target = try target.appending(String(component)) }
            try system.makeDirectory(target.value, mode: 0o750, owner: (context.nodeManagerUID, context.nodeManagerGID), code: .invalidCommandProvided)
        }
        return 0
    }
}
