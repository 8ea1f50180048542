import RuntimeBase
import YarnContract

/// Plans the per-container directories and copies of Hadoop's LAUNCH_CONTAINER step 4, with its modes.
public enum LayoutPlanner {
    public static func plan(_ request: LaunchRequest) throws(RuntimeError) -> LayoutPlan {
        let user = request.users.yarnUser.value
        let app = request.applicationId.value
        let cid = request.containerId.value
        guard request.localDirectories.contains(where: { request.workDirectory.isWithin($0) }) else {
            throw RuntimeError(.couldNotCreateWorkDirectories, "work dir \(request.workDirectory) is not under a local dir")
        }
        let work = ExitCode.couldNotCreateWorkDirectories
        let logs = ExitCode.couldNotCreateAppLogDirectories
        var dirs: [LayoutPlan.Directory] = []
        for local in request.localDirectories {
            let userDir = try local.appending("usercache").appending(user)
            let appDir = try userDir.appending("appcache").appending(app)
            dirs.append(.init(path: userDir, mode: 0o2750, chownToUserAndNMGroup: true, failure: work))
            dirs.append(.init(path: try userDir.appending("appcache"), mode: 0o2750, chownToUserAndNMGroup: true, failure: work))
            dirs.append(.init(path: appDir, mode: 0o2750, chownToUserAndNMGroup: true, failure: work))
            dirs.append(.init(path: try appDir.appending(cid), mode: 0o2710, chownToUserAndNMGroup: true, failure: work))
        }
        for log in request.logDirectories {
            let appLog = try log.appending(app)
            dirs.append(.init(path: appLog, mode: 0o2750, chownToUserAndNMGroup: true, failure: logs))
            dirs.append(.init(path: try appLog.appending(cid), mode: 0o2750, chownToUserAndNMGroup: true, failure: logs))
        }
        let workDir = request.workDirectory
        if !dirs.contains(where: { $0.path == workDir }) {
            dirs.append(.init(path: workDir, mode: 0o2710, chownToUserAndNMGroup: true, failure: work))
        }
        for name in ["tmp", "private_slash_tmp", "private_var_slash_tmp"] {
            dirs.append(.init(path: try workDir.appending(name), mode: 0o0710, chownToUserAndNMGroup: false,
                              failure: .couldNotCreateTmpDirectories))
        }
        var copies: [LayoutPlan.Copy] = [
            .init(source: request.scriptFile, destination: try workDir.appending("launch_container.sh"), mode: 0o700,
                  failure: .couldNotCreateScriptCopy),
            .init(source: request.tokensFile, destination: try workDir.appending("container_tokens"), mode: 0o600,
                  failure: .couldNotCreateCredentialsCopy),
        ]
        if let keystore = request.keystore {
            copies.append(.init(source: keystore, destination: try workDir.appending("yarn_provided.keystore"), mode: 0o600,
                                failure: .couldNotCreateKeystoreCopy))
        }
        if let truststore = request.truststore {
            copies.append(.init(source: truststore, destination: try workDir.appending("yarn_provided.truststore"), mode: 0o600,
                                failure: .couldNotCreateTruststoreCopy))
        }
        return LayoutPlan(directories: dirs, copies: copies)
    }
}
