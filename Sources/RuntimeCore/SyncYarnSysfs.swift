import LinuxSystem
import RuntimeBase
import YarnContract

/// Operation 6 (Hadoop's `sync_yarn_sysfs`, gated by feature.yarn.sysfs.enabled): copies the NodeManager's
/// `nmPrivate/<app>/sysfs/app.json` into the `sysfs` directory of the application's containers, as the user.
/// Returns 18 when no container has a sysfs directory, as Hadoop does.
public struct SyncYarnSysfs {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(users: UserPair, applicationId: ApplicationId, localDirectories: [AbsolutePath]) throws(RuntimeError) -> Int32 {
        guard context.config.features.yarnSysfs else { throw RuntimeError(.featureDisabled, "Feature disabled: yarn sysfs") }
        let system = context.system
        let user = try UserPolicy.validate(users.runAsUser, in: context)
        try NodeManagerRoots(context: context).check(localDirectories, code: .generalFailure)
        var copied = 0
        for local in localDirectories {
            let source = try local.appending("nmPrivate").appending(applicationId.value).appending("sysfs").appending("app.json")
            guard try system.fileStatus(source.value) != nil else { continue }
            let bytes = try context.asNodeManager { () throws(RuntimeError) -> [UInt8] in
                try system.readFile(source.value, maxBytes: 16 << 20, code: .generalFailure)
            }
            let appDir = try local.appending("usercache").appending(users.yarnUser.value).appending("appcache").appending(applicationId.value)
            try system.withIdentity(uid: user.uid, gid: user.gid, groups: user.groups) { () throws(RuntimeError) in
                guard try system.fileStatus(appDir.value)?.kind == .directory else { return }
                for container in try system.listDirectory(appDir.value, code: .generalFailure) {
                    let sysfs = try appDir.appending(container).appending("sysfs")
                    guard try system.fileStatus(sysfs.value)?.kind == .directory else { continue }
                    try system.writeFileAtomically(try sysfs.appending("app.json").value, bytes, mode: 0o750, code: .generalFailure)
                    copied += 1
                }
            }
        }
        return copied > 0 ? 0 : ExitCode.outOfMemory.rawValue
    }
}
