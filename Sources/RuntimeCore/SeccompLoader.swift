import BundleBuilder
import LinuxSystem
import RuntimeBase
import StrictJSON

/// Loads the configured container seccomp profile (or the built-in default) and compiles it with libseccomp,
/// so an invalid profile fails the launch here with a clear message instead of inside a runtime.
enum SeccompLoader {
    static func load(_ context: RuntimeContext) throws(RuntimeError) -> OCISeccomp {
        var profile = OCISeccomp.yarnDefault
        if let path = context.kata.seccompProfile {
            let bytes = try context.system.readFile(path, maxBytes: 1 << 20, code: .invalidConfigFile)
            let json: JSONValue
            do { json = try JSONParser().parse(bytes) } catch { throw RuntimeError(.invalidConfigFile, "seccomp profile \(path): \(error.description)") }
            profile = try OCISeccomp(json: json)
        }
        _ = try compile(profile, system: context.system)
        return profile
    }

    static func compile(_ profile: OCISeccomp, system: LiveSystem) throws(RuntimeError) -> CompiledSeccomp {
        func action(_ a: OCISeccomp.Action) -> SeccompAction {
            switch a {
            case .allow: return .allow
            case .errno: return .errno
            case .killProcess: return .killProcess
            case .killThread: return .killThread
            case .trap: return .trap
            case .log: return .log
            }
        }
        return try system.compileSeccomp(
            defaultAction: action(profile.defaultAction), defaultErrno: Int32(profile.defaultErrnoRet ?? 1),
            architectures: profile.architectures,
            rules: profile.rules.map { (names: $0.names, action: action($0.action), errno: Int32($0.errnoRet ?? 1)) })
    }
}
