import LinuxSystem
import RuntimeBase
import YarnContract

/// Operation 0: prepares the user's directories and runs the NodeManager's localizer as the user
/// (Hadoop's `initialize_app`). The localizer is not sandboxed, exactly as with container-executor: it downloads
/// the application's resources for the NodeManager. It runs with every capability dropped, no_new_privs, and an
/// environment of PATH only (container-executor passes the NodeManager's; we never trust inherited variables).
public struct InitializeContainer {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(_ request: InitializeRequest) throws(RuntimeError) -> Int32 {
        let system = context.system
        let user = try UserPolicy.validate(request.users.runAsUser, in: context)
        let yarnUser = request.users.yarnUser.value
        let app = request.applicationId.value
        let shared = (user.uid, context.nodeManagerGID)
        guard let program = request.command.first, program.hasPrefix("/"), !program.split(separator: "/").contains("..") else {
            throw RuntimeError(.initializeUserFailed, "localizer command must start with an absolute program path")
        }
        let roots = NodeManagerRoots(context: context)
        try roots.check(request.localDirectories, code: .initializeUserFailed)
        try roots.check(request.logDirectories, code: .couldNotCreateAppLogDirectories)
        for local in request.localDirectories {
            try system.makeDirectory(try local.appending("usercache").value, mode: 0o755,
                                     owner: (context.nodeManagerUID, context.nodeManagerGID), code: .initializeUserFailed)
            try system.makeDirectory(try local.appending("usercache").appending(yarnUser).value, mode: 0o2750, owner: shared, code: .initializeUserFailed)
        }
        for log in request.logDirectories {
            let appLog = try log.appending(app)
            try system.makeDirectory(appLog.value, mode: 0o2750, owner: shared, code: .couldNotCreateAppLogDirectories)
            try system.makeDirectory(try appLog.appending(request.containerId.value).value, mode: 0o2750, owner: shared,
                                     code: .couldNotCreateAppLogDirectories)
        }
        let tokens = try context.asNodeManager { () throws(RuntimeError) -> [UInt8] in
            try system.readFile(request.tokensFile.value, maxBytes: 64 << 20, code: .invalidNMRootDirs)
        }
        // The app dirs are made by the user, so nothing is created where the user could not create it.
        var primary: AbsolutePath?
        try system.withIdentity(uid: user.uid, gid: user.gid, groups: user.groups) { () throws(RuntimeError) in
            for local in request.localDirectories {
                let userDir = try local.appending("usercache").appending(yarnUser)
                do throws(RuntimeError) {
                    try system.makeDirectory(try userDir.appending("appcache").value, mode: 0o2750, owner: nil, code: .initializeUserFailed)
                    try system.makeDirectory(try userDir.appending("filecache").value, mode: 0o710, owner: nil, code: .initializeUserFailed)
                    let appDir = try userDir.appending("appcache").appending(app)
                    try system.makeDirectory(appDir.value, mode: 0o2750, owner: nil, code: .initializeUserFailed)
                    if primary == nil { primary = appDir }
                } catch {
                    system.writeStandardError("skipping local dir \(local): \(error.description)")
                }
            }
            guard let primary else { throw RuntimeError(.initializeUserFailed, "no usable local dir for \(app)") }
            try system.createFile(try primary.appending(request.tokensFile.lastComponent).value, tokens, mode: 0o600, owner: nil,
                                  code: .couldNotCreateCredentialsCopy)
        }
        guard let workingDirectory = primary else { throw RuntimeError(.initializeUserFailed, "no usable local dir for \(app)") }
        let pid = try system.spawn(SpawnRequest(
            path: program, arguments: request.command, environment: ["PATH=/usr/local/bin:/usr/bin:/bin"],
            fdMap: [-1, 1, 2], workingDirectory: workingDirectory.value, identity: (user.uid, user.gid, user.groups),
            dropCapabilities: true, noNewPrivileges: true), code: .initializeUserFailed)
        return try system.waitForExit(pid)
    }
}
