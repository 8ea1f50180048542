import HadoopConfig
import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import YarnContract

/// Everything a use case needs, established once by `SetupCheck` after the Hadoop start-up checks passed.
public struct RuntimeContext: Sendable {
    public let system: any System
    public let config: ExecutorConfig
    public let configPath: String
    /// The NodeManager's identity: the caller's real uid and the configured NM group.
    public let nodeManagerUID: UInt32
    public let nodeManagerGID: UInt32
    public let executablePath: String
    /// Builds the driver for a runtime name instead of `RuntimeSelection` (unit tests of the use cases).
    public var driverOverride: (@Sendable (String) throws(RuntimeError) -> any RuntimeDriver)?

    public init(system: any System, config: ExecutorConfig, configPath: String, nodeManagerUID: UInt32, nodeManagerGID: UInt32,
                executablePath: String, driverOverride: (@Sendable (String) throws(RuntimeError) -> any RuntimeDriver)? = nil) {
        self.system = system; self.config = config; self.configPath = configPath; self.nodeManagerUID = nodeManagerUID
        self.nodeManagerGID = nodeManagerGID; self.executablePath = executablePath; self.driverOverride = driverOverride
    }

    public var kata: KataSection { config.kata }

    public var stateRoot: AbsolutePath {
        get throws(RuntimeError) { try AbsolutePath(config.kata.stateRoot, code: .invalidConfigFile) }
    }

    /// kyr-init: configured, or `<binary dir>/../libexec/kata-yarn-runtime/kyr-init`, or next to the binary (a build tree).
    public func initBinary() throws(RuntimeError) -> AbsolutePath {
        if let configured = config.kata.initBinary { return try AbsolutePath(configured, code: .invalidConfigFile) }
        let binDir = try AbsolutePath(executablePath, code: .invalidContainerExecPermissions).parent
        let installed = try binDir.parent.appending("libexec").appending("kata-yarn-runtime").appending("kyr-init")
        if system.pathExists(installed.value) { return installed }
        let sibling = try binDir.appending("kyr-init")
        if system.pathExists(sibling.value) { return sibling }
        throw RuntimeError(.runcSetupFailed, "kyr-init not found at \(installed) or \(sibling); set [kata] init.binary")
    }

    /// Runs `body` as the NodeManager (files the NM hands over or reads back: scripts, tokens, pid files).
    public func asNodeManager<R>(_ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        try system.withIdentity(uid: nodeManagerUID, gid: nodeManagerGID, groups: [nodeManagerGID], body)
    }
}
