import RuntimeBase
import StrictJSON

/// The NodeManager's runc command file (`--run-runc-container <json>`, RuncContainerExecutorConfig), validated
/// the way container-executor validates it (`runc_launch_cmd.c`): required keys, a valid container id, `bind`
/// mounts with `rbind` and `rprivate`, only the `linux` keys Hadoop allows. Our runtime plugin adds one optional
/// top-level object, `"kata": {"runtime", "vcores", "memoryMB", "image"}`. Parse errors are 76, invalid
/// content 77 (ERROR_RUNC_SETUP_FAILED / ERROR_RUNC_RUN_FAILED).
public struct RuncCommand: Sendable, Equatable {
    public struct Mount: Sendable, Equatable {
        public var source: AbsolutePath
        public var destination: AbsolutePath
        public var readOnly: Bool
    }

    public var launch: LaunchRequest
    public var layers: [AbsolutePath]
    public var imageEnvironment: [String]
    /// `process.args` as the NodeManager built them: image entrypoint + `bash <workdir>/launch_container.sh`.
    public var arguments: [String]
    public var mounts: [Mount]
    public var image: AbsolutePath?
    /// True when our runtime plugin wrote the file (it carries a `kata` object).
    public var fromKataPlugin: Bool

    public static let maxBytes = 4 << 20

    public static func decode(_ bytes: [UInt8]) throws(RuntimeError) -> RuncCommand {
        let doc: JSONValue
        do { doc = try JSONParser(limits: .init(maxBytes: maxBytes, maxDepth: 32)).parse(bytes) } catch {
            throw RuntimeError(.runcSetupFailed, "runc command file: \(error.description)")
        }
        func invalid(_ why: String) -> RuntimeError { RuntimeError(.runcRunFailed, "invalid runc command: \(why)") }
        func string(_ key: String, in object: JSONValue = doc) throws(RuntimeError) -> String {
            guard let value = object[key]?.stringValue, !value.isEmpty else { throw invalid("\(key) missing or not a string") }
            return value
        }
        func path(_ raw: String) throws(RuntimeError) -> AbsolutePath { try AbsolutePath(raw, code: .runcRunFailed) }
        func strings(_ value: JSONValue?, _ key: String) throws(RuntimeError) -> [String] {
            guard let array = value?.arrayValue else { throw invalid("\(key) must be an array") }
            var result: [String] = []
            for element in array {
                guard let text = element.stringValue else { throw invalid("\(key) entries must be strings") }
                result.append(text)
            }
            return result
        }
        guard doc.objectValue != nil else { throw RuntimeError(.runcSetupFailed, "runc command file is not a json object") }
        let containerId = try ContainerId(try string("containerId"))
        let applicationId = try ApplicationId(try string("applicationId"))
        guard containerId.applicationId == applicationId else { throw invalid("containerId does not belong to applicationId") }
        let users = UserPair(runAsUser: try UserName(try string("runAsUser")), yarnUser: try UserName(try string("username")))
        let localDirs = try strings(doc["localDirs"], "localDirs").map { (raw) throws(RuntimeError) in try path(raw) }
        let logDirs = try strings(doc["logDirs"], "logDirs").map { (raw) throws(RuntimeError) in try path(raw) }
        guard !localDirs.isEmpty, !logDirs.isEmpty else { throw invalid("localDirs and logDirs must not be empty") }

        guard let oci = doc["ociRuntimeConfig"], oci.objectValue != nil else { throw invalid("ociRuntimeConfig missing") }
        guard let process = oci["process"], process.objectValue != nil else { throw invalid("ociRuntimeConfig.process missing") }
        let cwd = try path(try string("cwd", in: process))
        let args = try strings(process["args"], "process.args")
        let env = try strings(process["env"], "process.env")
        guard !args.isEmpty else { throw invalid("process.args is empty") }
        guard let linux = oci["linux"]?.objectValue else { throw invalid("ociRuntimeConfig.linux missing") }
        if let key = linux.keys.sorted().first(where: { !["cgroupsPath", "resources", "seccomp"].contains($0) }) {
            throw invalid("linux.\(key) is not allowed")
        }
        if let resources = linux["resources"]?.objectValue,
           let key = resources.keys.sorted().first(where: { !["blockIO", "cpu"].contains($0) }) {
            throw invalid("linux.resources.\(key) is not allowed")
        }
        var mounts: [Mount] = []
        for entry in oci["mounts"]?.arrayValue ?? [] {
            guard let object = entry.objectValue, Set(object.keys) == ["type", "source", "destination", "options"],
                  object["type"]?.stringValue == "bind" else { throw invalid("mounts must be bind mounts with type, source, destination, options") }
            let options = try strings(object["options"], "mount options")
            guard options.contains("rbind"), options.contains("rprivate") else { throw invalid("mount options need rbind and rprivate") }
            mounts.append(Mount(source: try path(try string("source", in: entry)), destination: try path(try string("destination", in: entry)),
                                readOnly: !options.contains("rw")))
        }
        var layers: [AbsolutePath] = []
        for layer in doc["layers"]?.arrayValue ?? [] {
            guard layer["mediaType"]?.stringValue == "application/vnd.squashfs" else { throw invalid("layers must be squashfs") }
            layers.append(try path(try string("path", in: layer)))
        }
        let https = doc["https"]?.int64Value == 1
        var launch = LaunchRequest(
            users: users, applicationId: applicationId, containerId: containerId, workDirectory: cwd,
            scriptFile: try path(try string("containerScriptPath")), tokensFile: try path(try string("containerCredentialsPath")),
            keystore: https ? try path(try string("keystorePath")) : nil, truststore: https ? try path(try string("truststorePath")) : nil,
            pidFile: try path(try string("pidFile")), localDirectories: localDirs, logDirectories: logDirs)
        var image: AbsolutePath?
        if let kata = doc["kata"] {
            guard let object = kata.objectValue else { throw invalid("kata must be an object") }
            if let key = object.keys.sorted().first(where: { !["runtime", "vcores", "memoryMB", "image"].contains($0) }) {
                throw invalid("kata.\(key) is not a known option")
            }
            if object["runtime"] != nil { launch.requestedRuntime = try string("runtime", in: kata) }
            if let vcores = object["vcores"] {
                guard let value = vcores.int64Value, (1...1024).contains(value) else { throw invalid("kata.vcores must be 1...1024") }
                launch.vcores = UInt32(value)
            }
            if let memory = object["memoryMB"] {
                guard let value = memory.int64Value, (16...16_777_216).contains(value) else { throw invalid("kata.memoryMB must be 16...16777216") }
                launch.memoryMiB = UInt64(value)
            }
            if object["image"] != nil { image = try path(try string("image", in: kata)) }
        }
        return RuncCommand(launch: launch, layers: layers, imageEnvironment: env, arguments: args, mounts: mounts, image: image,
                           fromKataPlugin: doc["kata"] != nil)
    }
}
