import HadoopConfig
import RuntimeBase

/// container-executor.cfg: Hadoop's grammar (ConfigFile) and the typed view with our [kata] section (ExecutorConfig).
/// Any input must either parse or throw; the parser must never crash, hang or grow without bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let file = try? ConfigFile(parsing: text) {
        for (section, keys) in file.sections {
            for key in keys.keys {
                _ = file.value(key, section: section)
                _ = file.list(key, section: section)
            }
        }
    }
    if let config = try? ExecutorConfig(parsing: text) {
        // A config that parsed names only valid runtimes and absolute, '..'-free paths.
        for runtime in [config.kata.defaultRuntime] + config.kata.allowedRuntimes {
            precondition(KataSection.isRuntimeName(runtime), "accepted runtime name \(runtime)")
        }
        for path in config.kata.hostDirectories + config.kata.readOnlyMounts {
            precondition(path.hasPrefix("/") && !path.split(separator: "/").contains(".."), "accepted mount path \(path)")
        }
    }
    return 0
}
