#pragma once

namespace turnout::worker {

// The file descriptor a worker process finds its control channel on: the
// master dup2()s its end of the socket pair there before exec.
constexpr int control_channel_fd = 3;

// The body of a worker process (`turnout worker --slot N`): serves what the
// master sends over the control channel until told to stop or until the
// master is gone. Returns the exit status.
int run_worker_process(unsigned slot);

}  // namespace turnout::worker
