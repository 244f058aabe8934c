// Downstream use of attrprior::distributed (find_package(attrprior COMPONENTS distributed)):
// built by package.find_package when attrprior was installed with MPI; not run.
#include <attrprior/distributed/data_parallel.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    attrprior::distributed::Environment env(&argc, &argv);
    const attrprior::distributed::Communicator comm;
    const auto share = attrprior::distributed::share_of(10, comm.rank(), comm.size());
    std::printf("rank %d of %d: rows [%lld, %lld)\n", comm.rank(), comm.size(), static_cast<long long>(share.first),
                static_cast<long long>(share.first + share.count));
    return 0;
}
