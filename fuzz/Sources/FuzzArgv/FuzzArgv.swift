import RuntimeBase
import YarnContract

/// The NodeManager argv decoder. Input = NUL-separated arguments (argv[0] is fixed). Decoding either yields a
/// typed request or throws a RuntimeError with one of Hadoop's exit codes; it must never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var argv = ["/opt/hadoop/bin/kata-yarn-runtime"]
    for part in bytes.split(separator: 0, omittingEmptySubsequences: false) {
        argv.append(String(decoding: part, as: UTF8.self))
    }
    do {
        _ = try ArgvDecoder.decode(argv)
    } catch {
        precondition(error.code.rawValue != 0, "a refusal must carry a non-zero exit code")
        _ = error.description
    }
    // The typed edges on their own: every accepted path is absolute and normalised.
    for raw in argv.dropFirst().prefix(8) {
        if let path = try? AbsolutePath(raw) {
            precondition(path.value.hasPrefix("/") && !path.components.contains("..") && !path.components.contains("."), "bad path \(path)")
        }
        _ = try? ContainerId(raw)
        _ = try? ApplicationId(raw)
        _ = try? UserName(raw)
    }
    return 0
}
