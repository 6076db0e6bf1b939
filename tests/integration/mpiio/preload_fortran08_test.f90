! The same for a program using the mpi_f08 module (Open MPI's ompi_*_f entry points): an
! unmodified Fortran 2008 MPI-IO program preloaded into a PFS job.
!   preload_fortran08_test <expected world size>
! Prints "FORTRAN08 <rank> PASS size=<n>" or "FORTRAN08 <rank> FAIL <what>" and aborts.
program preload_fortran08_test
    use mpi_f08
    implicit none
    integer, parameter :: n = 4096
    integer :: ierr, rank, nprocs, expected, cnt, cls, i
    type(MPI_File) :: fh
    type(MPI_Status) :: status
    type(MPI_Request) :: req
    integer(kind=MPI_OFFSET_KIND) :: off, fsize
    real(kind=8) :: wbuf(n), rbuf(n)
    character(len=32) :: arg

    call MPI_Init()
    call MPI_Comm_rank(MPI_COMM_WORLD, rank)
    call MPI_Comm_size(MPI_COMM_WORLD, nprocs)
    call get_command_argument(1, arg)
    read (arg, *) expected
    if (nprocs /= expected) call fail('MPI_COMM_WORLD size is not the compute ranks')

    call MPI_File_open(MPI_COMM_WORLD, 'pfs:/missing08', MPI_MODE_RDONLY, MPI_INFO_NULL, fh, ierr)
    call MPI_Error_class(ierr, cls)
    if (cls /= MPI_ERR_NO_SUCH_FILE) call fail('missing file: not MPI_ERR_NO_SUCH_FILE')

    call MPI_File_open(MPI_COMM_WORLD, 'pfs:/fortran08.dat', MPI_MODE_CREATE + MPI_MODE_RDWR, &
                       MPI_INFO_NULL, fh, ierr)
    if (ierr /= MPI_SUCCESS) call fail('open')
    do i = 1, n
        wbuf(i) = rank * n + i + 0.5d0
    end do
    off = int(rank, MPI_OFFSET_KIND) * n * 8
    call MPI_File_write_at_all(fh, off, wbuf, n, MPI_DOUBLE_PRECISION, status, ierr)
    if (ierr /= MPI_SUCCESS) call fail('write_at_all')
    call MPI_Get_count(status, MPI_DOUBLE_PRECISION, cnt)
    if (cnt /= n) call fail('write_at_all status count')
    call MPI_Barrier(MPI_COMM_WORLD)
    call MPI_File_get_size(fh, fsize, ierr)
    if (fsize /= int(nprocs, MPI_OFFSET_KIND) * n * 8) call fail('get_size')
    ! The next rank's block, nonblocking.
    off = int(mod(rank + 1, nprocs), MPI_OFFSET_KIND) * n * 8
    call MPI_File_iread_at(fh, off, rbuf, n, MPI_DOUBLE_PRECISION, req, ierr)
    if (ierr /= MPI_SUCCESS) call fail('iread_at')
    call MPI_Wait(req, status)
    call MPI_Get_count(status, MPI_DOUBLE_PRECISION, cnt)
    if (cnt /= n) call fail('iread_at status count')
    do i = 1, n
        if (rbuf(i) /= mod(rank + 1, nprocs) * n + i + 0.5d0) call fail('iread_at: wrong data')
    end do
    call MPI_File_close(fh, ierr)
    if (ierr /= MPI_SUCCESS .or. fh /= MPI_FILE_NULL) call fail('close')
    print '(a,i0,a,i0)', 'FORTRAN08 ', rank, ' PASS size=', nprocs
    call MPI_Finalize()

contains

    subroutine fail(what)
        character(len=*), intent(in) :: what
        print '(a,i0,a,a)', 'FORTRAN08 ', rank, ' FAIL ', what
        call MPI_Abort(MPI_COMM_WORLD, 1)
    end subroutine fail

end program preload_fortran08_test
