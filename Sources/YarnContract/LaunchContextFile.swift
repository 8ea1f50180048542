import RuntimeBase
import StrictJSON

/// Our JSON launch context (`kata-yarn-runtime launch <cid> --context FILE`): the same facts as operation 1's
/// argv plus the YARN resources and the requested runtime. Unknown keys are refused, so a typo cannot silently
/// drop a limit. Schema and an example: docs/launch-context.md.
public enum LaunchContextFile {
    public static let maxBytes = 256 * 1024
    static let knownKeys: Set<String> = [
        "version", "runAsUser", "user", "containerId", "workDir", "scriptPath", "tokensPath", "keystorePath",
        "truststorePath", "pidFile", "localDirs", "logDirs", "vcores", "memoryMB", "runtime", "network",
    ]

    public static func decode(_ text: [UInt8], expecting id: ContainerId) throws(RuntimeError) -> LaunchRequest {
        let document: JSONValue
        do { document = try JSONParser(limits: .init(maxBytes: maxBytes, maxDepth: 8)).parse(text) } catch {
            throw RuntimeError(.invalidArgumentNumber, "launch context: \(error.description)")
        }
        guard let object = document.objectValue else { throw RuntimeError(.invalidArgumentNumber, "launch context must be a json object") }
        if let unknown = object.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw RuntimeError(.invalidArgumentNumber, "launch context: unknown key \(Redact.short(unknown))")
        }
        func string(_ key: String) throws(RuntimeError) -> String {
            guard let value = object[key]?.stringValue else { throw RuntimeError(.invalidArgumentNumber, "launch context: \(key) must be a string") }
            return value
        }
        func path(_ key: String) throws(RuntimeError) -> AbsolutePath { try AbsolutePath(try string(key)) }
        func optionalPath(_ key: String) throws(RuntimeError) -> AbsolutePath? {
            object[key] == nil ? nil : try path(key)
        }
        func paths(_ key: String) throws(RuntimeError) -> [AbsolutePath] {
            guard let array = object[key]?.arrayValue, !array.isEmpty, array.count <= 256 else {
                throw RuntimeError(.invalidArgumentNumber, "launch context: \(key) must be a non-empty array")
            }
            var result: [AbsolutePath] = []
            for element in array {
                guard let text = element.stringValue else { throw RuntimeError(.invalidArgumentNumber, "launch context: \(key) entries must be strings") }
                result.append(try AbsolutePath(text))
            }
            return result
        }
        let containerId = try ContainerId(try string("containerId"))
        guard containerId == id else { throw RuntimeError(.invalidContainerId, "launch context is for \(containerId), not \(id)") }
        var request = LaunchRequest(
            users: UserPair(runAsUser: try UserName(try string("runAsUser")), yarnUser: try UserName(try string("user"))),
            applicationId: containerId.applicationId, containerId: containerId,
            workDirectory: try path("workDir"), scriptFile: try path("scriptPath"), tokensFile: try path("tokensPath"),
            keystore: try optionalPath("keystorePath"), truststore: try optionalPath("truststorePath"),
            pidFile: try path("pidFile"), localDirectories: try paths("localDirs"), logDirectories: try paths("logDirs"))
        if let vcores = object["vcores"] {
            guard let value = vcores.int64Value, value > 0, value <= 1024 else { throw RuntimeError(.invalidArgumentNumber, "launch context: vcores must be 1...1024") }
            request.vcores = UInt32(value)
        }
        if let memory = object["memoryMB"] {
            guard let value = memory.int64Value, value >= 16, value <= 16 * 1024 * 1024 else {
                throw RuntimeError(.invalidArgumentNumber, "launch context: memoryMB must be 16...16777216")
            }
            request.memoryMiB = UInt64(value)
        }
        if object["runtime"] != nil { request.requestedRuntime = try string("runtime") }
        if object["network"] != nil { request.requestedNetwork = try string("network") }
        return request
    }
}
