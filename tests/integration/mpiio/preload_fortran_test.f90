! An unmodified Fortran MPI-IO program (`use mpi`, i.e. the mpif.h entry points), preloaded into
! a PFS job with libpfs_mpiio: MPI_COMM_WORLD must be the compute ranks, and every MPI_File
! call on a pfs: file must reach the driver (Open MPI's own MPI-IO cannot open a pfs: name).
!   preload_fortran_test <expected world size> <plain directory>
! Prints "FORTRAN <rank> PASS size=<n>" or "FORTRAN <rank> FAIL <what>" and exits 1.
program preload_fortran_test
    use mpi
    implicit none
    integer, parameter :: n = 1000
    integer :: ierr, rank, nprocs, expected, fh, cls, i, ftype, req, cnt, amode, nbad
    integer :: status(MPI_STATUS_SIZE)
    integer(kind=MPI_OFFSET_KIND) :: off, fsize, pos, disp
    integer :: etype_out, ftype_out
    integer(kind=MPI_ADDRESS_KIND) :: attr
    integer :: wbuf(n), rbuf(n), all(3 * n)
    logical :: flag
    character(len=32) :: arg
    character(len=256) :: plain
    character(len=MPI_MAX_DATAREP_STRING) :: rep

    call MPI_Init(ierr)
    call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
    call MPI_Comm_size(MPI_COMM_WORLD, nprocs, ierr)
    call get_command_argument(1, arg)
    read (arg, *) expected
    call get_command_argument(2, plain)
    if (nprocs /= expected) call fail('MPI_COMM_WORLD size is not the compute ranks')
    nbad = 0
    ! Predefined attributes are the real world's.
    call MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, attr, flag, ierr)
    if (ierr /= MPI_SUCCESS .or. .not. flag .or. attr < 32767) call fail('MPI_TAG_UB attribute')

    ! A missing pfs: file without MPI_MODE_CREATE: MPI_ERR_NO_SUCH_FILE (files return errors).
    call MPI_File_open(MPI_COMM_WORLD, 'pfs:/no-such-file', MPI_MODE_RDONLY, MPI_INFO_NULL, fh, ierr)
    call MPI_Error_class(ierr, cls, i)
    if (cls /= MPI_ERR_NO_SUCH_FILE) call fail('missing file: not MPI_ERR_NO_SUCH_FILE')

    ! Collective open of a pfs: file by name with trailing blanks (a Fortran CHARACTER).
    call MPI_File_open(MPI_COMM_WORLD, 'pfs:/fortran.dat   ', MPI_MODE_CREATE + MPI_MODE_RDWR, &
                       MPI_INFO_NULL, fh, ierr)
    if (ierr /= MPI_SUCCESS) call fail('open pfs:/fortran.dat')
    call MPI_File_get_amode(fh, amode, ierr)
    if (amode /= MPI_MODE_CREATE + MPI_MODE_RDWR) call fail('get_amode')

    ! Explicit offsets, collective: rank r writes integers r*n+1 .. r*n+n at byte r*n*4.
    do i = 1, n
        wbuf(i) = rank * n + i
    end do
    off = int(rank, MPI_OFFSET_KIND) * n * 4
    call MPI_File_write_at_all(fh, off, wbuf, n, MPI_INTEGER, status, ierr)
    if (ierr /= MPI_SUCCESS) call fail('write_at_all')
    call MPI_Get_count(status, MPI_INTEGER, cnt, ierr)
    if (cnt /= n) call fail('write_at_all status count')
    call MPI_File_sync(fh, ierr)
    call MPI_Barrier(MPI_COMM_WORLD, ierr)
    call MPI_File_get_size(fh, fsize, ierr)
    if (fsize /= int(nprocs, MPI_OFFSET_KIND) * n * 4) call fail('get_size after write_at_all')
    call MPI_File_read_at(fh, 0_MPI_OFFSET_KIND, all, nprocs * n, MPI_INTEGER, MPI_STATUS_IGNORE, ierr)
    if (ierr /= MPI_SUCCESS) call fail('read_at')
    do i = 1, nprocs * n
        if (all(i) /= i) nbad = nbad + 1
    end do
    if (nbad /= 0) call fail('read_at: wrong data')

    ! A view: integers of all ranks interleaved one by one, after the first block of the file.
    call MPI_Type_vector(1, 1, nprocs, MPI_INTEGER, ftype, ierr)
    call MPI_Type_create_resized(ftype, 0_MPI_ADDRESS_KIND, int(nprocs * 4, MPI_ADDRESS_KIND), i, ierr)
    call MPI_Type_free(ftype, ierr)
    ftype = i
    call MPI_Type_commit(ftype, ierr)
    disp = int(nprocs, MPI_OFFSET_KIND) * n * 4 + rank * 4
    call MPI_File_set_view(fh, disp, MPI_INTEGER, ftype, 'native', MPI_INFO_NULL, ierr)
    if (ierr /= MPI_SUCCESS) call fail('set_view')
    call MPI_File_get_view(fh, disp, etype_out, ftype_out, rep, ierr)
    if (trim(rep) /= 'native') call fail('get_view datarep')
    if (disp /= int(nprocs, MPI_OFFSET_KIND) * n * 4 + rank * 4) call fail('get_view disp')
    call MPI_File_write_all(fh, wbuf, n, MPI_INTEGER, status, ierr)
    if (ierr /= MPI_SUCCESS) call fail('write_all through the view')
    call MPI_File_get_position(fh, pos, ierr)
    if (pos /= n) call fail('get_position after write_all')
    call MPI_File_seek(fh, 0_MPI_OFFSET_KIND, MPI_SEEK_SET, ierr)
    rbuf = 0
    call MPI_File_read_all(fh, rbuf, n, MPI_INTEGER, status, ierr)
    if (ierr /= MPI_SUCCESS .or. any(rbuf /= wbuf)) call fail('read_all through the view')

    ! Nonblocking, a real MPI_Request, and a split collective.
    call MPI_File_set_view(fh, 0_MPI_OFFSET_KIND, MPI_BYTE, MPI_BYTE, 'native', MPI_INFO_NULL, ierr)
    off = 2 * int(nprocs, MPI_OFFSET_KIND) * n * 4 + int(rank, MPI_OFFSET_KIND) * n * 4
    call MPI_File_iwrite_at(fh, off, wbuf, n, MPI_INTEGER, req, ierr)
    if (ierr /= MPI_SUCCESS) call fail('iwrite_at')
    call MPI_Wait(req, status, ierr)
    call MPI_Get_count(status, MPI_INTEGER, cnt, ierr)
    if (cnt /= n) call fail('iwrite_at status count')
    rbuf = 0
    call MPI_File_read_at_all_begin(fh, off, rbuf, n, MPI_INTEGER, ierr)
    call MPI_File_read_at_all_end(fh, rbuf, status, ierr)
    if (ierr /= MPI_SUCCESS .or. any(rbuf /= wbuf)) call fail('read_at_all_begin/end')

    ! Atomicity (a LOGICAL both ways), then close: the handle becomes MPI_FILE_NULL.
    call MPI_File_set_atomicity(fh, .true., ierr)
    call MPI_File_get_atomicity(fh, flag, ierr)
    if (.not. flag) call fail('get_atomicity')
    call MPI_File_close(fh, ierr)
    if (ierr /= MPI_SUCCESS .or. fh /= MPI_FILE_NULL) call fail('close')

    ! A plain file goes to Open MPI's own MPI-IO, on the same (translated) MPI_COMM_WORLD.
    call MPI_File_open(MPI_COMM_WORLD, trim(plain) // '/fortran-plain.dat', &
                       MPI_MODE_CREATE + MPI_MODE_WRONLY, MPI_INFO_NULL, fh, ierr)
    if (ierr /= MPI_SUCCESS) call fail('open of a plain file')
    off = int(rank, MPI_OFFSET_KIND) * n * 4
    call MPI_File_write_at_all(fh, off, wbuf, n, MPI_INTEGER, status, ierr)
    if (ierr /= MPI_SUCCESS) call fail('write_at_all to a plain file')
    call MPI_File_close(fh, ierr)

    if (rank == 0) then
        call MPI_File_delete('pfs:/fortran-missing.dat', MPI_INFO_NULL, ierr)
        call MPI_Error_class(ierr, cls, i)
        if (cls /= MPI_ERR_NO_SUCH_FILE) call fail('delete of a missing file')
    end if
    print '(a,i0,a,i0)', 'FORTRAN ', rank, ' PASS size=', nprocs
    call MPI_Finalize(ierr)

contains

    subroutine fail(what)
        character(len=*), intent(in) :: what
        integer :: e
        print '(a,i0,a,a)', 'FORTRAN ', rank, ' FAIL ', what
        call MPI_Abort(MPI_COMM_WORLD, 1, e)
    end subroutine fail

end program preload_fortran_test
