// Child process for launcher tests: turns the launcher process on and at once off again, while it is still
// starting (as a fleet that crosses the threshold and drops back does), then waits long enough for the
// launcher to have started and left.
import { useLauncherProcess } from '../../../src/host/util/launcher';

void useLauncherProcess(true);
void useLauncherProcess(false).then(() => setTimeout(() => process.stdout.write('done\n'), 1000));
