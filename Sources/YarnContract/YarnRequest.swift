import RuntimeBase

/// Everything the binary can be asked to do: Hadoop's container-executor operations (docs/contract.md) and our
/// own verbs. Produced only by `ArgvDecoder`, so every field is already validated for shape.
public enum YarnRequest: Sendable, Equatable {
    // Hadoop flag operations
    case checkSetup
    case mountCgroups(hierarchy: String, pairs: [String])
    case runRuncContainer(commandFile: AbsolutePath)
    case reapRuncLayerMounts(keepCount: Int)
    case trafficControl(operation: String, commandFile: String)
    case execContainer(commandFile: String)
    case docker(operation: String)
    case deviceModule(name: String)
    // Hadoop numeric operations: `<runAsUser> <yarnUser> <n> ...`
    case initializeContainer(InitializeRequest)
    case launchContainer(LaunchRequest)
    case signalContainer(UserPair, pid: Int32, signal: Int32)
    case deleteAsUser(UserPair, subdirectory: String, baseDirectories: [String])
    case launchDockerContainer(UserPair)
    case listAsUser(UserPair, directory: String)
    case syncYarnSysfs(UserPair, applicationId: ApplicationId, localDirectories: [AbsolutePath])
    // Our verbs
    case launch(containerId: ContainerId, contextFile: AbsolutePath?, runtime: String?)
    case signal(containerId: ContainerId, signal: Int32)
    case state(containerId: ContainerId)
    case list
    case delete(containerId: ContainerId)
    /// Reclaims what containers whose launcher is gone left behind: runtime state, records, network.
    case gc
}

public struct UserPair: Sendable, Equatable {
    public let runAsUser: UserName
    public let yarnUser: UserName
    public init(runAsUser: UserName, yarnUser: UserName) { self.runAsUser = runAsUser; self.yarnUser = yarnUser }
}

public struct InitializeRequest: Sendable, Equatable {
    public let users: UserPair
    public let applicationId: ApplicationId
    public let containerId: ContainerId
    public let tokensFile: AbsolutePath
    public let localDirectories: [AbsolutePath]
    public let logDirectories: [AbsolutePath]
    public let command: [String]
}

/// A YARN launch context: operation 1's argv, or our JSON launch context, or (later) the runtime plugin's JSON.
public struct LaunchRequest: Sendable, Equatable {
    public var users: UserPair
    public var applicationId: ApplicationId
    public var containerId: ContainerId
    public var workDirectory: AbsolutePath
    public var scriptFile: AbsolutePath
    public var tokensFile: AbsolutePath
    public var keystore: AbsolutePath?
    public var truststore: AbsolutePath?
    public var pidFile: AbsolutePath
    public var localDirectories: [AbsolutePath]
    public var logDirectories: [AbsolutePath]
    /// `cgroups=<task files>%…` or `cgroups=none`; we place containers in cgroups through the runtime instead.
    public var resourcesOption: String
    public var trafficControlFile: String?
    /// YARN resources when known (the JSON contexts carry them; operation 1's argv does not).
    public var vcores: UInt32?
    public var memoryMiB: UInt64?
    /// The runtime asked for by the application (`YARN_CONTAINER_RUNTIME_TYPE` / the plugin), if any.
    public var requestedRuntime: String?
    /// The container asked for a sandbox without naming one (Hadoop's runc runtime or our plugin): never `none`.
    public var optedIntoSandbox = false
    /// `host`, `none` or `routed` from the launch context; nil: the configured default (docs/networking.md).
    public var requestedNetwork: String?
    /// Extra host paths the NodeManager asked to mount (runc's YARN_CONTAINER_RUNTIME_RUNC_MOUNTS), already allowed.
    public var extraMounts: [ExtraMount] = []
    /// An image to run instead of the host view (the runc runtime's squashfs layers, or an image directory).
    public var image: ContainerImage?

    public init(users: UserPair, applicationId: ApplicationId, containerId: ContainerId, workDirectory: AbsolutePath,
                scriptFile: AbsolutePath, tokensFile: AbsolutePath, keystore: AbsolutePath? = nil, truststore: AbsolutePath? = nil,
                pidFile: AbsolutePath, localDirectories: [AbsolutePath], logDirectories: [AbsolutePath],
                resourcesOption: String = "cgroups=none", trafficControlFile: String? = nil, vcores: UInt32? = nil,
                memoryMiB: UInt64? = nil, requestedRuntime: String? = nil) {
        self.users = users; self.applicationId = applicationId; self.containerId = containerId
        self.workDirectory = workDirectory; self.scriptFile = scriptFile; self.tokensFile = tokensFile
        self.keystore = keystore; self.truststore = truststore; self.pidFile = pidFile
        self.localDirectories = localDirectories; self.logDirectories = logDirectories
        self.resourcesOption = resourcesOption; self.trafficControlFile = trafficControlFile
        self.vcores = vcores; self.memoryMiB = memoryMiB; self.requestedRuntime = requestedRuntime
    }

    /// `<G>/<app>/<cid>` for every log dir.
    public var containerLogDirectories: [AbsolutePath] {
        logDirectories.compactMap { try? $0.appending(applicationId.value).appending(containerId.value) }
    }

    /// `<pidfile>.exitcode`.
    public var exitCodeFile: AbsolutePath {
        (try? pidFile.parent.appending(pidFile.lastComponent + ".exitcode")) ?? pidFile
    }
}

public struct ExtraMount: Sendable, Equatable {
    public var source: AbsolutePath
    public var destination: AbsolutePath
    public var readOnly: Bool
    public init(source: AbsolutePath, destination: AbsolutePath, readOnly: Bool) {
        self.source = source; self.destination = destination; self.readOnly = readOnly
    }
}

public struct ContainerImage: Sendable, Equatable {
    /// squashfs layer files, bottom first (the NodeManager's order); empty when `directory` is set.
    public var layers: [AbsolutePath]
    /// A prepared root directory used read-only.
    public var directory: AbsolutePath?
    /// The image's process: entrypoint + `bash <workdir>/launch_container.sh`, and the image's environment.
    public var arguments: [String]
    public var environment: [String]
    public init(layers: [AbsolutePath], directory: AbsolutePath?, arguments: [String], environment: [String]) {
        self.layers = layers; self.directory = directory; self.arguments = arguments; self.environment = environment
    }
}
