import RuntimeBase
import StrictJSON
import YarnContract

/// `launch <cid> --context FILE`: the JSON launch context decoder. Accepted contexts must respect the limits
/// the rest of the launch relies on (absolute paths, the expected container id, bounded resources).
let expected = try! ContainerId("container_1795555676958_0001_01_000002")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? LaunchContextFile.decode(bytes, expecting: expected) else { return 0 }
    precondition(request.containerId == expected)
    precondition((request.vcores ?? 1) >= 1 && (request.vcores ?? 1) <= 1024)
    precondition((request.memoryMiB ?? 16) >= 16)
    for path in [request.workDirectory, request.scriptFile, request.tokensFile, request.pidFile] + request.localDirectories + request.logDirectories {
        precondition(path.value.hasPrefix("/") && !path.components.contains(".."), "accepted path \(path)")
    }
    return 0
}
