import RuntimeBase
import Testing

/// One assertion per Hadoop exit code: renumbering any case breaks this test.
@Suite struct ExitCodeTests {
    @Test("every exit code keeps Hadoop 3.3.6's number")
    func hadoopNumbers() {
        let expected: [(ExitCode, Int32)] = [
            (.success, 0), (.invalidArgumentNumber, 1), (.invalidUserName, 2), (.invalidCommandProvided, 3),
            (.invalidNMRootDirs, 5), (.setuidOperFailed, 6), (.unableToExecuteContainerScript, 7),
            (.unableToSignalContainer, 8), (.invalidContainerPid, 9), (.outOfMemory, 18), (.initializeUserFailed, 20),
            (.pathToDeleteIsNull, 21), (.invalidContainerExecPermissions, 22), (.invalidConfigFile, 24),
            (.setsidOperFailed, 25), (.writePidfileFailed, 26), (.writeCgroupFailed, 27),
            (.trafficControlExecutionFailed, 28), (.dockerRunFailed, 29), (.errorOpeningDockerFile, 30),
            (.errorReadingDockerFile, 31), (.featureDisabled, 32), (.couldNotCreateScriptCopy, 33),
            (.couldNotCreateCredentialsCopy, 34), (.couldNotCreateWorkDirectories, 35),
            (.couldNotCreateAppLogDirectories, 36), (.couldNotCreateTmpDirectories, 37),
            (.errorCreateContainerDirectoriesArguments, 38), (.errorSanitizingDockerCommand, 39),
            (.dockerImageInvalid, 40), (.errorCompilingRegex, 42), (.invalidContainerId, 43), (.dockerExecFailed, 44),
            (.couldNotCreateKeystoreCopy, 45), (.couldNotCreateTruststoreCopy, 46), (.errorCallingSetvbuf, 47),
            (.bufferTooSmall, 48), (.invalidMount, 49), (.invalidROMount, 50), (.invalidRWMount, 51),
            (.mountAccessError, 52), (.invalidDockerCommandFile, 53), (.incorrectDockerCommand, 54),
            (.dockerServiceModeDisabled, 75), (.runcSetupFailed, 76), (.runcRunFailed, 77),
            (.runcReapLayerMountsFailed, 78), (.dockerContainerExecFailed, 79),
            (.cannotGetExecutableNameFromReadlink, 80), (.tooLongExecutorPath, 81),
            (.cannotGetExecutableNameFromKernel, 82), (.cannotGetExecutableNameFromPid, 83),
            (.wrongPathOfExecutable, 84), (.generalFailure, 255), (.terminated, 143), (.forceKilled, 137), (.lost, 154),
        ]
        for (code, number) in expected { #expect(code.rawValue == number, "\(code)") }
        #expect(expected.count == ExitCode.allCases.count, "a new exit code needs its assertion here")
        #expect(ExitCode.signalled(15) == 143)
        #expect(ExitCode.signalled(9) == 137)
    }
}
