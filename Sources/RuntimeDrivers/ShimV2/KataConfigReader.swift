import HadoopConfig
import LinuxSystem
import RuntimeBase

/// Finds and reads Kata's configuration.toml the way the shim will: `[kata] kata.config` (passed to the shim as
/// KATA_CONF_FILE), else Kata's own default paths in order. Parsing and checks are pure (`KataRuntimeConfig`,
/// `KataPreflight` in HadoopConfig); this only touches the files.
public enum KataConfigReader {
    public static func load(explicit: String?, system: any System, runtime: String = "kata") throws(RuntimeError) -> KataRuntimeConfig {
        let path: String
        if let explicit {
            guard system.pathExists(explicit) else {
                throw RuntimeError(.runcSetupFailed, "\(runtime): Kata configuration \(explicit) does not exist ([kata] kata.config)")
            }
            path = explicit
        } else {
            guard let found = KataRuntimeConfig.defaultPaths.first(where: { system.pathExists($0) }) else {
                throw RuntimeError(.runcSetupFailed, "\(runtime): no Kata configuration found (looked at \(KataRuntimeConfig.defaultPaths.joined(separator: ", "))); install Kata or set [kata] kata.config")
            }
            path = found
        }
        let bytes = try system.readFile(path, maxBytes: 1 << 20, code: .runcSetupFailed)
        do { return try KataRuntimeConfig(parsing: String(decoding: bytes, as: UTF8.self), path: path) } catch {
            throw RuntimeError(.runcSetupFailed, "\(runtime): cannot read Kata configuration: \(error.message)")
        }
    }

    public static func devices(for hypervisor: String, system: any System) -> [String: Bool] {
        Dictionary(uniqueKeysWithValues: KataNeeds.devices(for: hypervisor).map { ($0, system.pathExists($0)) })
    }
}
