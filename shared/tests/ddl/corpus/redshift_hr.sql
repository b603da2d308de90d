-- HR data mart. The staging schema mirrors a table name of the hr schema.
DROP TABLE IF EXISTS hr.departments CASCADE;
DROP TABLE IF EXISTS hr.employees CASCADE;

CREATE TABLE hr.departments (
    dept_no     CHAR(4)      NOT NULL,
    dept_name   VARCHAR(40)  NOT NULL,
    cost_center VARCHAR(10),
    PRIMARY KEY (dept_no),
    UNIQUE (dept_name)
) DISTSTYLE ALL;

CREATE TABLE hr.employees (
    "EmployeeID"   INTEGER      NOT NULL,
    "FirstName"    VARCHAR(30)  NOT NULL,
    "LastName"     VARCHAR(40)  NOT NULL,
    gender         CHAR(1),
    birth_date     DATE,
    "Hire Date"    DATE         NOT NULL,
    dept_no        CHAR(4)      REFERENCES hr.departments (dept_no),
    manager_id     INTEGER      REFERENCES hr.employees ("EmployeeID"),
    location_id    INTEGER      REFERENCES hr.locations (location_id),
    work_email     VARCHAR(100),
    PRIMARY KEY ("EmployeeID")
) DISTKEY ("EmployeeID") SORTKEY ("Hire Date");

-- salary history: one row per employee and start date
CREATE TABLE hr.salaries (
    emp_no      INTEGER        NOT NULL,
    from_date   DATE           NOT NULL,
    to_date     DATE,
    salary      DECIMAL(10, 2) NOT NULL,
    currency    CHAR(3)        DEFAULT 'USD',
    PRIMARY KEY (emp_no, from_date),
    FOREIGN KEY (emp_no) REFERENCES hr.employees ("EmployeeID")
) DISTKEY (emp_no) SORTKEY (emp_no, from_date);

CREATE TABLE hr.dept_manager (
    dept_no     CHAR(4)  NOT NULL REFERENCES hr.departments,
    emp_no      INTEGER  NOT NULL REFERENCES hr.employees,
    from_date   DATE     NOT NULL,
    to_date     DATE,
    UNIQUE (dept_no, from_date),
    UNIQUE (emp_no, dept_no, from_date)
);

-- nightly extract from the HRIS, same name as the mart table
CREATE TABLE staging.employees (
    employee_id  INTEGER,
    payload      SUPER,
    extracted_at TIMESTAMP
);

ALTER TABLE hr.employees ADD COLUMN termination_date DATE;
ALTER TABLE hr.employees ADD CONSTRAINT employees_email_uq UNIQUE (work_email);
COMMENT ON TABLE hr.employees IS 'Current and former employees';
COMMENT ON COLUMN hr.employees."Hire Date" IS 'First day of employment';
GRANT SELECT ON hr.employees TO hr_readers;
