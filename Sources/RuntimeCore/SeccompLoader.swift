import BundleBuilder
import LinuxSystem
import RuntimeBase
import StrictJSON

/// Loads the configured container seccomp profile (or the built-in default) and compiles it with libseccomp,
/// so an invalid profile fails the launch here with a clear message instead of inside a runtime.
enum SeccompLoader {
    /// The built-in default is compiled by the tests (`SeccompProfileTests`, `test_seccomp_profiles.py`), not on
    /// every launch: compiling it was a sixth of the launcher's own instructions. A configured profile is compiled.
    static func load(_ context: RuntimeContext) throws(RuntimeError) -> OCISeccomp {
        guard let path = context.kata.seccompProfile else { return OCISeccomp.yarnDefault }
        // Like the cfg itself: whoever can write the profile decides every tenant's kernel surface.
        try SetupCheck.checkConfigPermissions(path, system: context.system)
        let bytes = try context.system.readFile(path, maxBytes: 1 << 20, code: .invalidConfigFile)
        let json: JSONValue
        do { json = try JSONParser().parse(bytes) } catch { throw RuntimeError(.invalidConfigFile, "seccomp profile \(path): \(error.description)") }
        let profile = try OCISeccomp(json: json)
        _ = try compile(profile, system: context.system)
        return profile
    }

    static func compile(_ profile: OCISeccomp, system: any System) throws(RuntimeError) -> CompiledSeccomp {
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
            rules: profile.rules.map { rule in
                (names: rule.names, action: action(rule.action), errno: Int32(rule.errnoRet ?? 1),
                 conditions: rule.args.map { LiveSystem.SeccompCondition(index: UInt32($0.index), op: $0.op.libseccompValue, value: $0.value, valueTwo: $0.valueTwo) })
            })
    }
}
